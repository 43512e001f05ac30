"""What every competition page needs: the competition, or the page that says why not."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from competitions.models import Competition
from competitions.permissions import can_organise, can_see
from competitions.selectors import competition_get


def visible_or_404(request: HttpRequest, pk: int) -> Competition:
    """The competition if the person may see it; a draft is a 404 to everyone else."""
    competition = competition_get(pk=pk)
    if competition is None or not can_see(request.user, competition):
        raise Http404(_("There is no such competition."))
    return competition


def organised_or_403(request: HttpRequest, pk: int) -> Competition:
    """The competition if the person organises it."""
    competition = visible_or_404(request, pk)
    if not can_organise(request.user, competition):
        raise PermissionDenied(_("Only the organising unit may do this."))
    return competition
