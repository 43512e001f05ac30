"""The live-room page (/<slug>/live/), its join token, and sharing files and slides.

Who may join: the room's hosts (administrators, its manager and unit login, host members)
as hosts; its participant members as participants; when the room admits guests, anybody
signed in as a participant and anybody else as a guest with a name (and the guests'
password when one is set). Files and slide pages are served only to people who took part
in their meeting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rooms.models import Room
from rooms.permissions import can_manage_room
from rooms.shortcuts import room_or_404
from signaling import conf, selectors
from signaling.errors import SignalingError
from signaling.forms import GuestJoinForm, LiveSettingsForm
from signaling.models import LiveRole, SharedFile, SlidePage
from signaling.services import files as file_services
from signaling.services import limits
from signaling.services import slides as slide_services
from signaling.services.settings import live_settings_save
from signaling.services.tokens import (
    GUESTS_SESSION_KEY,
    JoinClaims,
    join_token_issue,
    session_fingerprint,
)
from signaling.upload_guard import length_refusal

PEER_HEADER = "X-Meet-Peer"


@dataclass(frozen=True)
class Access:
    """Who the request is in a room: a live role and a name, or why not."""

    role: str = ""
    name: str = ""
    identity: str = ""
    refusal: str = ""  # sign_in | members_only | guest_name


def _guest(request: HttpRequest, room: Room) -> dict[str, str] | None:
    guests = request.session.get(GUESTS_SESSION_KEY) or {}
    found = guests.get(str(room.pk))
    return found if isinstance(found, dict) and found.get("key") else None


def access_for(request: HttpRequest, room: Room) -> Access:
    """The live role of whoever sent the request."""
    user = request.user
    if user.is_authenticated:
        name = user.get_full_name() or user.get_username()
        role = selectors.live_role(user, room)
        return Access(role, name, f"u:{user.pk}") if role else Access(refusal="members_only")
    if not room.guest_access:
        return Access(refusal="sign_in")
    guest = _guest(request, room)
    if guest is None:
        return Access(refusal="guest_name")
    return Access(LiveRole.GUEST, guest["name"], f"g:{guest['key']}")


def client_address(request: HttpRequest) -> str:
    """The client's address as Django sees it (meet/ trusts forwarded headers of proxies)."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _claims(request: HttpRequest, room: Room, access: Access) -> JoinClaims:
    if not request.session.session_key:
        request.session.save()
    return JoinClaims(
        room=room.pk,
        slug=room.slug,
        identity=access.identity,
        user_id=request.user.pk if request.user.is_authenticated else None,
        name=access.name,
        role=access.role,
        session=session_fingerprint(request.session.session_key),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def live_room(request: HttpRequest, slug: str) -> HttpResponse:
    """The pre-join screen and the live room itself."""
    room = room_or_404(slug)
    access = access_for(request, room)
    if access.refusal == "sign_in":
        return redirect_to_login(request.get_full_path())
    if access.refusal == "members_only":
        raise PermissionDenied(_("This room is only for its members. Ask the room's manager."))
    live = selectors.live_settings(room)
    guest_form = None
    if access.refusal == "guest_name" or (
        request.method == "POST" and access.role == LiveRole.GUEST
    ):
        guest_form = GuestJoinForm(
            request.POST if request.method == "POST" else None,
            password_hash=live.guest_password,
            password_try=lambda: limits.guest_password_try(
                room_id=room.pk, address=client_address(request)
            ),
            initial={"name": access.name},
        )
        if request.method == "POST" and guest_form.is_valid():
            guests = dict(request.session.get(GUESTS_SESSION_KEY) or {})
            previous = guests.get(str(room.pk)) or {}
            guests[str(room.pk)] = {
                "key": previous.get("key") or secrets.token_urlsafe(16),
                "name": guest_form.cleaned_data["name"],
            }
            request.session[GUESTS_SESSION_KEY] = guests
            return redirect(reverse("signaling:live", kwargs={"slug": room.slug}) + "?join=1")
    elif request.method == "POST":
        return redirect(reverse("signaling:live", kwargs={"slug": room.slug}) + "?join=1")
    manages = can_manage_room(request.user, room)
    context: dict[str, Any] = {
        "room": room,
        "access": access,
        "is_host": access.role == LiveRole.HOST,
        "is_observer": access.role == LiveRole.OBSERVER,
        "broadcast_slot": access.role == LiveRole.HOST and selectors.in_broadcast_slot(room),
        "guest_form": guest_form,
        "autojoin": request.GET.get("join") == "1" and guest_form is None,
        "settings_form": LiveSettingsForm(initial={"lobby_enabled": live.lobby_enabled})
        if manages
        else None,
        "has_guest_password": bool(live.guest_password),
        "token_url": reverse("signaling:token", kwargs={"slug": room.slug}),
        "ws_path": f"/ws/rooms/{room.slug}/",
        "files_url": reverse("signaling:files", kwargs={"slug": room.slug}),
        "slides_url": reverse("signaling:slides", kwargs={"slug": room.slug}),
        "file_max_bytes": conf.file_max_bytes(),
        "slides_max_bytes": conf.slides_max_bytes(),
    }
    locked = guest_form is not None and guest_form.locked
    return render(request, "signaling/live_room.html", context, status=429 if locked else 200)


@never_cache
@require_GET
def join_token(request: HttpRequest, slug: str) -> JsonResponse:
    """A fresh join token for the WebSocket (the page asks before every connection)."""
    room = room_or_404(slug)
    access = access_for(request, room)
    if access.refusal:
        code = "sign_in" if access.refusal == "guest_name" else access.refusal
        return _json_error(SignalingError(code), status=403)
    try:
        limits.limit("token", address=client_address(request), person=access.identity)
    except SignalingError as refused:
        return _json_error(refused, status=429)
    return JsonResponse(
        {
            "token": join_token_issue(_claims(request, room, access)),
            "expires_in": conf.join_token_secs(),
        }
    )


@require_POST
def live_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The room's manager sets the lobby and the guests' password."""
    room = room_or_404(slug)
    if not can_manage_room(request.user, room):
        raise PermissionDenied(_("Only the room's manager or an administrator may do this."))
    form = LiveSettingsForm(request.POST)
    if form.is_valid():
        live_settings_save(
            room=room,
            lobby_enabled=form.cleaned_data["lobby_enabled"],
            guest_password=form.cleaned_data["guest_password"],
            clear_password=form.cleaned_data["clear_password"],
        )
        messages.success(request, _("The meeting settings are saved."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("signaling:live", slug=room.slug)


# -- files and slides ----------------------------------------------------------------------


def _json_error(error: SignalingError, *, status: int = 400) -> JsonResponse:
    return JsonResponse({"code": error.code, "error": error.message}, status=status)


def _acting_peer(request: HttpRequest, room: Room) -> str:
    """The uploader's own participant id in the room's open meeting (from the page's
    header), after one try of their upload limits is spent."""
    access = access_for(request, room)
    peer = request.headers.get(PEER_HEADER, "")
    if not selectors.is_in_meeting(room_id=room.pk, identity=access.identity, peer=peer):
        raise SignalingError("not_joined")
    if access.role == LiveRole.OBSERVER:  # a juror watching shares nothing
        raise SignalingError("observer_silent")
    limits.limit("upload", address=client_address(request), person=access.identity)
    return peer


_STATUS_OF = {"not_joined": 403, "observer_silent": 403, "slow_down": 429}


def _refused(error: SignalingError) -> JsonResponse:
    return _json_error(error, status=_STATUS_OF.get(error.code, 400))


def _body_refusal(request: HttpRequest, limit: int) -> JsonResponse | None:
    """Refuse before reading the body: it must say its length, within the limit
    (meet/asgi.py refuses such bodies even before Django receives them)."""
    refusal = length_refusal(request.headers.get("Content-Length", ""), limit)
    return None if refusal is None else _json_error(refusal[1], status=refusal[0])


@require_POST
def file_upload(request: HttpRequest, slug: str) -> JsonResponse:
    """A participant shares a file with the meeting."""
    room = room_or_404(slug)
    limit = conf.file_max_bytes()
    refusal = _body_refusal(request, limit)
    if refusal is not None:
        return refusal
    try:
        peer = _acting_peer(request, room)
        file_services.file_quota_check(actor_peer=peer)  # before the body is read
        upload = file_services.check_upload(request.FILES.get("file"), limit=limit)
        file_id = file_services.file_share(actor_peer=peer, upload=upload)
    except SignalingError as refused:
        return _refused(refused)
    return JsonResponse({"id": file_id}, status=201)


def _may_see(request: HttpRequest, room: Room, meeting_id: int) -> bool:
    if can_manage_room(request.user, room):
        return True
    access = access_for(request, room)
    return bool(access.identity) and selectors.took_part(meeting_id, access.identity)


def _private(response: HttpResponseBase) -> HttpResponseBase:
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def file_download(request: HttpRequest, slug: str, pk: int) -> HttpResponseBase:
    """Download a shared file (participants of its meeting only), always as an attachment."""
    room = room_or_404(slug)
    shared = SharedFile.objects.filter(pk=pk, meeting__room=room).first()
    if shared is None or not _may_see(request, room, shared.meeting_id):
        raise Http404(_("There is no such file, or it is only for the meeting's participants."))
    response = FileResponse(
        shared.file.open("rb"),
        as_attachment=True,
        filename=shared.name,
        content_type="application/octet-stream",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return _private(response)


@require_GET
def slide_image(request: HttpRequest, slug: str, deck: int, page: int) -> HttpResponseBase:
    """One rendered slide page (participants of its meeting only)."""
    room = room_or_404(slug)
    found = (
        SlidePage.objects.select_related("deck")
        .filter(deck_id=deck, number=page, deck__meeting__room=room)
        .first()
    )
    if found is None or not _may_see(request, room, found.deck.meeting_id):
        raise Http404(_("There is no such slide, or it is only for the meeting's participants."))
    return _private(FileResponse(found.image.open("rb"), content_type="image/png"))


def _slides_prepare(request: HttpRequest, slug: str) -> tuple[str, bytes | Path, str]:
    room = room_or_404(slug)
    peer = _acting_peer(request, room)
    # Who may present is checked before the body is parsed: nothing is read (let alone
    # rendered) for someone who may not.
    slide_services.slides_presenter_check(actor_peer=peer)
    upload = file_services.check_upload(request.FILES.get("file"), limit=conf.slides_max_bytes())
    title = file_services.clean_file_name(upload.name or "")
    path = getattr(upload, "temporary_file_path", None)
    if callable(path):  # large uploads are on disk already: the child reads the file
        return peer, Path(path()), title
    upload.seek(0)
    return peer, upload.read(), title


async def slides_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """The host or presenter uploads a PDF; its pages are rendered and the first is shown."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    refusal = _body_refusal(request, conf.slides_max_bytes())
    if refusal is not None:
        return refusal
    try:
        peer, source, title = await sync_to_async(_slides_prepare)(request, slug)
        # Rendering is slow: a child process (signaling/pdf_child.py) does it, waited for
        # off the event loop and off the database thread.
        pages = await sync_to_async(slide_services.slides_render, thread_sensitive=False)(
            source, max_pages=conf.slides_max_pages()
        )
        deck_id = await sync_to_async(slide_services.slides_deck_add)(
            actor_peer=peer, title=title, pages=pages
        )
    except SignalingError as refused:
        return _refused(refused)
    return JsonResponse({"id": deck_id, "pages": len(pages)}, status=201)
