"""Recordings of a room: Record/Stop for hosts (JSON), the members' list and player, files.

A private recording is reachable only by the room's members, and only through its random
UUID; everyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from archive.models import Recording, RecordingKind, RecordingState
from archive.portal import selectors
from archive.services import archive as archive_services
from archive.services import recordings as recording_services
from archive.services.errors import RecordingError
from archive.services.files import serve_file
from archive.services.parts import Part, merged_parts, playlist, recording_parts
from archive.services.paths import MP4, POSTER, hls_file, recording_directory
from rooms.models import Room
from rooms.observers import reviews
from rooms.shortcuts import room_or_404
from scheduling.models import Occurrence


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


def _as_json(recording: Recording) -> dict[str, object]:
    return {
        "ok": True,
        "id": recording.id.hex,
        "state": recording.state,
        "state_label": recording.get_state_display(),
        "progress": round(recording.progress, 3),
        "duration": round(recording.duration, 1),
        "kind": recording.kind,
        # The recording this one carries on (its worker died: archive/services/parts.py).
        "continues": recording.continues_id.hex if recording.continues_id else None,
        "url": reverse("recordings:detail", args=[recording.id]),
        "stop_url": reverse("recordings:stop", args=[recording.room.slug, recording.id]),
    }


@require_POST
def recording_start(request: HttpRequest, slug: str) -> JsonResponse:
    """Record button: start recording the room's program (hosts and managers)."""
    room = room_or_404(slug)
    if not selectors.may_record(request.user, room):
        return _error(_("Only the room's hosts may record."), 403)
    occurrence = None
    if request.POST.get("occurrence", "").isdigit():
        occurrence = Occurrence.objects.filter(pk=request.POST["occurrence"], room=room).first()
        if occurrence is None:
            return _error(_("This meeting is not in this room."), 400)
    else:  # the live room's button: the open meeting's scheduled meeting, else this moment's
        occurrence = selectors.occurrence_to_record(room)
    default_kind = (
        RecordingKind.BROADCAST
        if occurrence is not None and occurrence.session.broadcast
        else RecordingKind.MEETING
    )
    kind = request.POST.get("kind", default_kind)
    try:
        recording = recording_services.start_recording(
            room, kind=kind, occurrence=occurrence, by=request.user
        )
    except RecordingError as exc:
        return _error(str(exc), 409)
    return JsonResponse(_as_json(recording), status=201)


@require_POST
def recording_stop(request: HttpRequest, slug: str, recording_id: uuid.UUID) -> JsonResponse:
    """Stop button: stop and finish the recording (hosts and managers)."""
    room = room_or_404(slug)
    recording = selectors.recording_get(recording_id)
    if (
        recording is None
        or recording.room_id != room.pk
        or not selectors.is_member(request.user, room)
    ):
        raise Http404(_("There is no such recording."))
    if not selectors.may_record(request.user, room):
        return _error(_("Only the room's hosts may record."), 403)
    try:
        recording_services.stop_recording(recording)
    except RecordingError as exc:
        return _error(str(exc), 409)
    return JsonResponse(_as_json(recording))


def _member_room(request: HttpRequest, slug: str) -> Room | HttpResponse:
    room = room_or_404(slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not selectors.is_member(request.user, room):
        raise Http404(_("There is no room at this address."))
    return room


@require_GET
@never_cache
def room_recordings(request: HttpRequest, slug: str) -> HttpResponse:
    """The room's recordings for its members, with the state of the unfinished ones."""
    room = _member_room(request, slug)
    if isinstance(room, HttpResponse):
        return room
    # What the rows say (GET never writes): the worker's news (meet/recording_news.py) and
    # the minute sweep (meet/jobs.py) keep them current.
    recordings = list(selectors.recordings_of(room)[:100])
    if request.GET.get("format") == "json":
        return JsonResponse({"recordings": [_as_json(r) for r in recordings]})
    return render(
        request,
        "recordings/room_recordings.html",
        {
            "room": room,
            "recordings": recordings,
            "may_record": selectors.may_record(request.user, room),
        },
    )


def member_playlist(parts: list[Part]) -> list[dict[str, object]]:
    """The ready parts for a player of the members' (and editors') addresses."""
    return playlist(parts, lambda part: reverse("recordings:file", args=[part.recording.id, MP4]))


def _member_recording(request: HttpRequest, recording_id: uuid.UUID) -> Recording:
    """The recording, for a member of its room or, when it is in the archive (pending
    too), for the portal's editors, who must watch it to decide; 404 for anyone else."""
    recording = selectors.recording_get(recording_id)
    if recording is None:
        raise Http404(_("There is no such recording."))
    if selectors.is_member(request.user, recording.room):
        return recording
    if archive_services.may_publish(request.user) and selectors.has_entry(recording):
        return recording
    # A competition lesson's jurors and organisers review it (rooms/observers.py).
    if reviews(request.user, recording.room, recording.started_at or recording.created):
        return recording
    raise Http404(_("There is no such recording."))


@require_GET
@never_cache
def recording_detail(request: HttpRequest, recording_id: uuid.UUID) -> HttpResponse:
    """The player and the download link of one recording, for the room's members."""
    recording = _member_recording(request, recording_id)
    parts = recording_parts(recording)  # one, unless a media worker died while recording
    playable = member_playlist(merged_parts(parts)[0])
    poster_of = next((part for part in parts if part.state == RecordingState.READY), parts[0])
    has_poster = (recording_directory(poster_of.id) / POSTER).is_file()
    context = {
        "recording": parts[0],
        "room": recording.room,
        "has_poster": has_poster,
        "poster_of": poster_of,
        "parts": playable,
        "all_parts": parts if len(parts) > 1 else [],
        "last": parts[-1],
        "duration": sum(part.duration for part in parts),
    }
    return render(request, "recordings/recording_detail.html", context)


@require_GET
def recording_file(request: HttpRequest, recording_id: uuid.UUID, name: str) -> HttpResponseBase:
    """recording.mp4 / poster.jpg of a recording, to members only, cached privately."""
    recording = _member_recording(request, recording_id)
    if name not in (MP4, POSTER) or (name == MP4 and recording.state != RecordingState.READY):
        raise Http404(_("There is no such file."))
    download = ""
    if name == MP4 and request.GET.get("download"):
        download = f"{recording.room.slug}-{recording.created:%Y%m%d-%H%M}.mp4"
    return serve_file(
        request, recording_directory(recording.id) / name, public=False, download_name=download
    )


@require_GET
def recording_hls(request: HttpRequest, recording_id: uuid.UUID, name: str) -> HttpResponseBase:
    """The live HLS program of a private recording, to members only."""
    recording = _member_recording(request, recording_id)
    path = hls_file(recording.id, name)
    if path is None:
        raise Http404(_("There is no such file."))
    return serve_file(request, path, public=False)


@require_GET
def public_hls(request: HttpRequest, recording_id: uuid.UUID, name: str) -> HttpResponseBase:
    """The HLS program of a recording the public may see now (a live public broadcast or
    a published archive entry); 404 for every other, as if it did not exist."""
    recording = selectors.public_recording(recording_id)
    path = hls_file(recording_id, name)
    if recording is None or path is None:
        raise Http404(_("There is no such file."))
    response = serve_file(request, path, public=True)
    # hls.js fetches segments with XHR, possibly from an embedding page or a CDN's origin.
    response["Access-Control-Allow-Origin"] = "*"
    return response
