"""Pages of a public broadcast: the watch page, its state for polling, the Q&A panel.

/<slug>/live/ is decided in ``meet/views_live.py``: during a broadcast, people who are
not panelists get ``watch_page_if_broadcasting``'s page; everyone else the live room.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from broadcasts import selectors, vendor
from broadcasts.selectors import Broadcast
from rooms.models import Room
from rooms.selectors import room_get
from rooms.shortcuts import room_or_404

# Viewers poll the state while waiting; a few seconds of shared caching spares the server.
STATE_MAX_AGE_SECS = 5


def status_text(broadcast: Broadcast) -> str:
    """The sentence under the title: when it starts, live now, or ended."""
    if broadcast.state == "live":
        return _("Live now")
    if broadcast.state == "ended":
        return _("Ended")
    if broadcast.state == "waiting" or broadcast.occurrence is None:
        return _("Waiting for the presenters to start the broadcast")
    start = timezone.localtime(broadcast.occurrence.start)
    return _("Starts at %(time)s") % {"time": start.strftime("%H:%M")}


def state_json(broadcast: Broadcast) -> dict[str, Any]:
    """The broadcast's state as the page polls it (docs/protocol.md, "Watch page")."""
    return {
        "state": broadcast.state,
        "status": status_text(broadcast),
        "playlist": broadcast.playlist,
        "archive": broadcast.archive,
    }


def watch_page_if_broadcasting(request: HttpRequest, slug: str) -> HttpResponse | None:
    """The public watch page when the room broadcasts and the visitor is not a panelist.

    Panelists see it too with ``?watch=1`` (a preview of what the public sees); None
    means "the live room, as always".
    """
    if request.method not in ("GET", "HEAD"):
        return None
    room = room_get(slug=slug)
    if room is None:
        return None
    broadcast = selectors.broadcast_now(room)
    if broadcast is None:
        return None
    panelist = selectors.is_panelist(request.user, room)
    if panelist and request.GET.get("watch") != "1":
        return None
    return _watch_page(request, room, broadcast, preview=panelist)


def _watch_page(
    request: HttpRequest, room: Room, broadcast: Broadcast, *, preview: bool
) -> HttpResponse:
    occurrence = broadcast.occurrence
    session = occurrence.session if occurrence is not None else None
    context: dict[str, Any] = {
        "room": room,
        "broadcast": broadcast,
        "occurrence": occurrence,
        "session": session,
        "title": occurrence.display_title if occurrence is not None else room.title,
        "documents": list(session.documents.all()) if session is not None else [],
        "status": status_text(broadcast),
        "state": state_json(broadcast),
        "state_url": reverse("webinar:state", kwargs={"slug": room.slug}),
        "ws_path": f"/ws/watch/{room.slug}/",
        "hls_script": static(vendor.HLS_STATIC_PATH) if vendor.hls_installed() else "",
        "preview": preview,
        "is_host": selectors.is_host(request.user, room),
        "chat_enabled": selectors.chat_enabled(room.pk),
    }
    response = render(request, "webinar/watch.html", context)
    response["Cache-Control"] = "no-cache, private"
    return response


@require_GET
def state(request: HttpRequest, slug: str) -> JsonResponse:
    """The broadcast's state for the watch page's polling (public, briefly cached)."""
    room = room_or_404(slug)
    broadcast = selectors.broadcast_state(room)
    if broadcast is None:
        data: dict[str, Any] = {"state": "none", "status": _("Ended"), "playlist": ""}
        data["archive"] = ""
    else:
        data = state_json(broadcast)
    response = JsonResponse(data)
    response["Cache-Control"] = f"public, max-age={STATE_MAX_AGE_SECS}"
    response["Vary"] = "Accept-Language, Cookie"
    return response


@never_cache
@login_required
@require_GET
def questions(request: HttpRequest, slug: str) -> HttpResponse:
    """The hosts' Q&A and chat moderation panel, to keep open beside the live room."""
    room = room_or_404(slug)
    if not selectors.is_host(request.user, room):
        raise PermissionDenied(_("Only a host of this room may moderate its questions."))
    broadcast = selectors.broadcast_state(room)
    occurrence = broadcast.occurrence if broadcast is not None else None
    context = {
        "room": room,
        "broadcast": broadcast,
        "title": occurrence.display_title if occurrence is not None else room.title,
        "ws_path": f"/ws/watch/{room.slug}/?mode=moderate",
        "watch_url": reverse("signaling:live", kwargs={"slug": room.slug}) + "?watch=1",
        "room_url": reverse("signaling:live", kwargs={"slug": room.slug}),
        "chat_enabled": selectors.chat_enabled(room.pk),
    }
    return render(request, "webinar/questions.html", context)
