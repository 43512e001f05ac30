"""The public archive: list, entry page, embeddable player, search, files; the editors' queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_POST

from archive.models import ArchiveEntry, Recording
from archive.portal import selectors
from archive.portal.forms import CaptionsForm, EntryForm, FilterForm, SearchForm
from archive.portal.recording_views import member_playlist
from archive.portal.search import search
from archive.services import archive as archive_services
from archive.services.errors import ArchiveError
from archive.services.files import public_max_age_secs, serve_file
from archive.services.parts import playlist, ready_parts, ready_recordings
from archive.services.paths import MP4, recording_directory
from rooms.models import Unit

PAGE_SIZE = 12


def _public_entry(pk: int) -> ArchiveEntry:
    entry = selectors.entry_get_public(pk)
    if entry is None:
        raise Http404(_("There is no such recording in the archive."))
    return entry


def _public_parts(entry: ArchiveEntry) -> list[dict[str, object]]:
    """The entry's ready parts for its player: one, unless a media worker died during
    the broadcast and the recording went on in another part."""
    base = reverse("portal:video", args=[entry.pk])
    return playlist(ready_parts(entry.recording), lambda part: f"{base}?part={part.number}")


def _part(entry: ArchiveEntry, number: str | None) -> tuple[int, Recording]:
    """Part ``number`` (1 when not given) of the entry's ready parts, or 404."""
    parts = ready_recordings(entry.recording)
    try:
        index = int(number or 1) - 1
    except ValueError:
        index = -1
    if not 0 <= index < len(parts):
        raise Http404(_("There is no such part of this recording."))
    return index + 1, parts[index]


def _units_with_entries() -> list[tuple[str, str]]:
    units = Unit.objects.filter(archive_entries__status="published").distinct().order_by("name")
    return [(u.slug, u.name) for u in units]


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Published entries, newest first, filtered by unit, kind, tag and year."""
    form = FilterForm(request.GET or None, years=selectors.years(), units=_units_with_entries())
    filters = selectors.PortalFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.PortalFilters(
            unit=data["unit"], kind=data["kind"], tag=data["tag"], year=data["year"]
        )
    page = Paginator(selectors.published_filtered(filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tag = selectors.tag_public(filters.tag) if filters.tag else None
    unit = Unit.objects.filter(slug=filters.unit).first() if filters.unit else None
    return render(
        request,
        "portal/index.html",
        {"form": form, "page_obj": page, "tag": tag, "unit": unit, "search_form": SearchForm()},
    )


@require_GET
def entry_detail(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """One entry: player, chapters, captions, download, share link and embed code."""
    entry = _public_entry(pk)
    if slug != entry.slug and entry.slug:
        return redirect("portal:entry", pk=entry.pk, slug=entry.slug, permanent=True)
    share = request.build_absolute_uri(reverse("portal:entry", args=[entry.pk, slug]))
    embed = request.build_absolute_uri(reverse("portal:embed", args=[entry.pk]))
    context = {"entry": entry, "share_url": share, "embed_url": embed}
    return render(request, "portal/entry.html", {**context, "parts": _public_parts(entry)})


@require_GET
@xframe_options_exempt  # the one page other sites may frame: the embeddable player
def embed(request: HttpRequest, pk: int) -> HttpResponse:
    """A bare player other sites may put in an iframe."""
    entry = _public_entry(pk)
    # Its CSP (frame-ancestors *, the rest as every page) comes from meet/headers.py.
    return render(request, "portal/embed.html", {"entry": entry, "parts": _public_parts(entry)})


@require_GET
def video(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The entry's MP4: streamed with byte ranges, or downloaded with ``?download=1``."""
    entry = _public_entry(pk)
    number, part = _part(entry, request.GET.get("part"))
    name = ""
    if request.GET.get("download"):
        name = f"{entry.slug or 'video'}{f'-{number}' if number > 1 else ''}.mp4"
    return serve_file(request, recording_directory(part.id) / MP4, public=True, download_name=name)


@require_GET
def poster(request: HttpRequest, pk: int) -> HttpResponseBase:
    entry = _public_entry(pk)
    parts = ready_recordings(entry.recording)
    if not entry.poster or not parts:
        raise Http404(_("There is no such file."))
    # The first ready part's: a part the dead media worker left may not be ready.
    return serve_file(request, recording_directory(parts[0].id) / entry.poster, public=True)


@require_GET
def captions(request: HttpRequest, pk: int) -> HttpResponse:
    """The entry's WebVTT captions (they may change or be withdrawn: briefly cached)."""
    entry = _public_entry(pk)
    if not entry.captions:
        raise Http404(_("There is no such file."))
    response = HttpResponse(entry.captions, content_type="text/vtt; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={public_max_age_secs()}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Full-text search that ignores diacritics: "tap huan" finds "Tập huấn"."""
    form = SearchForm(request.GET if "q" in request.GET else None)
    hits = search(form.cleaned_data["q"]) if form.is_valid() else []
    page = Paginator(hits, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/search.html", {"search_form": form, "page_obj": page})


def _editor(request: HttpRequest) -> None:
    if not archive_services.may_publish(request.user):
        raise PermissionDenied(_("Only the portal's editors may see this page."))


@login_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """The editors' queue: pending entries first, then the rest to edit or unpublish."""
    _editor(request)
    page = Paginator(selectors.entries_for_review(), 25).get_page(request.GET.get("page"))
    return render(request, "portal/review.html", {"page_obj": page})


@login_required
def review_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit an entry's metadata and tags, upload its captions."""
    _editor(request)
    entry = get_object_or_404(ArchiveEntry.objects.select_related("recording__room"), pk=pk)
    form = EntryForm.for_entry(entry)
    captions_form = CaptionsForm()
    if request.method == "POST" and "captions" in request.FILES:
        captions_form = CaptionsForm(request.POST, request.FILES)
        if captions_form.is_valid():
            try:
                archive_services.entry_captions_set(
                    entry=entry, data=captions_form.read(), by=request.user
                )
            except ArchiveError as exc:
                captions_form.add_error("captions", str(exc))
            else:
                messages.success(request, _("The captions were saved."))
                return redirect("portal:review-entry", pk=entry.pk)
    elif request.method == "POST":
        form = EntryForm(request.POST)
        if form.is_valid():
            try:
                archive_services.entry_update(entry=entry, data=form.to_input(), by=request.user)
            except ArchiveError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("portal:review-entry", pk=entry.pk)
    return render(
        request,
        "portal/review_entry.html",
        {
            "entry": entry,
            "form": form,
            "captions_form": captions_form,
            "parts": member_playlist(ready_parts(entry.recording)),
        },
    )


DECISIONS = {
    "approve": (archive_services.entry_approve, gettext_lazy("The recording is published.")),
    "unpublish": (
        archive_services.entry_unpublish,
        gettext_lazy("The recording is no longer public."),
    ),
    "reject": (
        archive_services.entry_reject,
        gettext_lazy("The recording was rejected: it will not be published."),
    ),
}


@login_required
@require_POST
def review_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    """Approve (publish), unpublish or reject an entry."""
    _editor(request)
    if decision not in DECISIONS:
        raise Http404(_("There is no such decision."))
    entry = get_object_or_404(ArchiveEntry.objects.select_related("recording"), pk=pk)
    decide, done = DECISIONS[decision]
    try:
        decide(entry=entry, by=request.user)
        messages.success(request, str(done))
    except ArchiveError as exc:
        messages.error(request, str(exc))
    return redirect("portal:review-entry", pk=entry.pk)
