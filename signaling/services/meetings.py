"""Joining and leaving a live meeting, the lobby, locking and ending it."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from rooms.models import Room
from signaling import conf, selectors
from signaling.domain.protocol import event, serialize_participant
from signaling.errors import JoinRefused, SignalingError
from signaling.events import notify_peer, notify_room
from signaling.models import LiveRole, LiveRoomSettings, Meeting, Participant, ParticipantState
from signaling.services.attendance import attendance_joined, attendance_left
from signaling.services.tokens import JoinClaims

_PRESENT = (ParticipantState.JOINED, ParticipantState.LOBBY)


@dataclass(frozen=True)
class JoinOutcome:
    """What became of a join: in the meeting (with its ``welcome``) or in the lobby."""

    state: str
    peer: str
    meeting_id: int
    role: str
    name: str
    welcome: dict[str, Any] | None = None
    replaced_channel: str = ""


@dataclass(frozen=True)
class Departure:
    """What a leave changed; ``media`` says whether the worker must drop the peer."""

    peer: str
    media: bool = False
    peers_gone: list[str] = field(default_factory=list)


def new_peer() -> str:
    """A participant id: unguessable, URL-safe, 16 characters."""
    return secrets.token_urlsafe(12)


def _current_meeting(room: Room) -> Meeting:
    """The room's open meeting, or a new one when there is none or it went idle."""
    now = timezone.now()
    meeting = selectors.open_meeting(room.pk)
    if meeting is not None:
        idle_since = now - timedelta(seconds=conf.meeting_idle_secs())
        if meeting.last_activity_at < idle_since and not selectors.live(meeting.pk).exists():
            meeting.ended_at = now
            meeting.save(update_fields=["ended_at"])
            meeting = None
    if meeting is None:
        meeting = Meeting.objects.create(room=room)
    meeting.room = room
    return meeting


# When this process last swept each meeting: once per heartbeat is enough.
_swept_at: dict[int, float] = {}
ACTIVITY_RESOLUTION_SECS = 60


def _sweep_stale(meeting: Meeting) -> None:
    """Mark connections of crashed processes as gone and tell the room."""
    now = time.monotonic()
    if now - _swept_at.get(meeting.pk, -1e9) < selectors.HEARTBEAT_SECS:
        return
    _swept_at[meeting.pk] = now
    stale = list(
        Participant.objects.filter(
            meeting=meeting, state__in=_PRESENT, seen_at__lt=selectors.stale_before()
        ).values_list("pk", "peer", "state")
    )
    if not stale:
        return
    Participant.objects.filter(pk__in=[pk for pk, _, _ in stale]).update(
        state=ParticipantState.LEFT, left_at=timezone.now(), hand_raised_at=None
    )
    for _, peer, state in stale:
        if state == ParticipantState.JOINED:
            notify_room(meeting.room.slug, event("participant.left", peer=peer, reason="gone"))
        else:
            notify_room(meeting.room.slug, event("lobby.left", peer=peer), hosts_only=True)


def _resumed(meeting: Meeting, claims: JoinClaims, resume: str) -> Participant | None:
    if not resume:
        return None
    return (
        Participant.objects.select_for_update()
        .filter(peer=resume, meeting=meeting, identity=claims.identity)
        .exclude(state__in=[ParticipantState.DENIED, ParticipantState.REMOVED])
        .first()
    )


@transaction.atomic
def participant_join(
    *,
    claims: JoinClaims,
    channel_name: str,
    ice_servers: list[dict[str, Any]],
    resume: str = "",
    with_participants: bool = True,
    shared_of: int = 0,
) -> JoinOutcome:
    """Let a verified person into the room's meeting, or into its lobby."""
    room = (
        Room.objects.select_for_update(of=("self",))
        .select_related("live_settings")  # read with the room: one query less per join
        .filter(pk=claims.room, slug=claims.slug)
        .first()
    )
    if room is None:
        raise JoinRefused("no_room")
    meeting = _current_meeting(room)
    _sweep_stale(meeting)
    before = set(
        Participant.objects.filter(meeting=meeting, identity=claims.identity).values_list(
            "state", flat=True
        )
    )
    if ParticipantState.REMOVED in before:
        raise JoinRefused("removed")
    is_host = claims.role == LiveRole.HOST
    if meeting.locked and not is_host:
        raise JoinRefused("locked")
    live_settings = selectors.live_settings(room)
    lobby = claims.role == LiveRole.GUEST and live_settings.lobby_enabled
    now = timezone.now()
    participant = _resumed(meeting, claims, resume)
    replaced = ""
    if participant is not None:
        if participant.state in _PRESENT and participant.channel_name != channel_name:
            replaced = participant.channel_name
        was_in = participant.joined_at is not None and participant.state != ParticipantState.LEFT
        participant.channel_name, participant.seen_at = channel_name, now
        participant.name = claims.name
        if participant.state == ParticipantState.LEFT:
            participant.state = ParticipantState.LOBBY if lobby else ParticipantState.JOINED
        participant.save()
        if participant.state == ParticipantState.JOINED and not was_in:
            _entered(meeting, participant, now)
    else:
        participant = Participant.objects.create(
            meeting=meeting,
            peer=new_peer(),
            identity=claims.identity,
            user_id=claims.user_id,
            name=claims.name,
            role=claims.role,
            state=ParticipantState.LOBBY if lobby else ParticipantState.JOINED,
            channel_name=channel_name,
            joined_at=None if lobby else now,
        )
        if participant.state == ParticipantState.JOINED:
            _entered(meeting, participant, now)
    if replaced:
        notify_peer(replaced, {"action": "replaced"})
    if participant.state == ParticipantState.LOBBY:
        notify_room(
            room.slug,
            event(
                "lobby.entered",
                participant=serialize_participant(selectors.participant_view(participant)),
            ),
            hosts_only=True,
        )
        return JoinOutcome(
            "lobby",
            participant.peer,
            meeting.pk,
            participant.role,
            participant.name,
            replaced_channel=replaced,
        )
    return JoinOutcome(
        "joined",
        participant.peer,
        meeting.pk,
        participant.role,
        participant.name,
        welcome=selectors.welcome(
            meeting=meeting,
            me=participant,
            ice_servers=ice_servers,
            settings_row=live_settings,
            with_participants=with_participants,
            with_shared=meeting.pk != shared_of,
            # Votes are cast by people in the meeting: a first-timer has none.
            with_votes=bool(before),
        ),
        replaced_channel=replaced,
    )


def _entered(meeting: Meeting, participant: Participant, now: Any) -> None:
    """Someone is in the meeting now: times, attendance and the room told."""
    if participant.joined_at is None or participant.left_at is not None:
        participant.joined_at = participant.joined_at or now
        participant.left_at = None
        participant.save(update_fields=["joined_at", "left_at"])
    if (now - meeting.last_activity_at).total_seconds() > ACTIVITY_RESOLUTION_SECS:
        meeting.last_activity_at = now
        Meeting.objects.filter(pk=meeting.pk).update(last_activity_at=now)
    ref = attendance_joined(meeting=meeting, participant=participant)
    if ref and not meeting.occurrence_ref:
        meeting.occurrence_ref = ref
        Meeting.objects.filter(pk=meeting.pk).update(occurrence_ref=ref)
    notify_room(
        meeting.room.slug,
        event(
            "participant.joined",
            participant=serialize_participant(selectors.participant_view(participant)),
        ),
    )


@transaction.atomic
def participant_welcome(
    *,
    peer: str,
    ice_servers: list[dict[str, Any]],
    with_participants: bool = True,
    shared_of: int = 0,
) -> dict[str, Any]:
    """The ``welcome`` of a guest just let in from the lobby."""
    participant = Participant.objects.select_related("meeting__room").filter(peer=peer).first()
    if participant is None or participant.state != ParticipantState.JOINED:
        raise JoinRefused("not_joined")
    return selectors.welcome(
        meeting=participant.meeting,
        me=participant,
        ice_servers=ice_servers,
        with_participants=with_participants,
        with_shared=participant.meeting_id != shared_of,
    )


@transaction.atomic
def participant_leave(*, peer: str, channel_name: str) -> Departure:
    """A connection closed: the person left (unless another window took over)."""
    participant = (
        Participant.objects.select_for_update()
        .select_related("meeting__room")
        .filter(peer=peer)
        .first()
    )
    if participant is None or participant.channel_name != channel_name:
        return Departure(peer)
    was = participant.state
    if was not in _PRESENT:
        return Departure(peer)
    now = timezone.now()
    participant.state, participant.left_at, participant.hand_raised_at = (
        ParticipantState.LEFT,
        now,
        None,
    )
    participant.audio_on = participant.video_on = participant.screen_on = False
    participant.save(
        update_fields=["state", "left_at", "hand_raised_at", "audio_on", "video_on", "screen_on"]
    )
    slug = participant.meeting.room.slug
    if was == ParticipantState.LOBBY:
        notify_room(slug, event("lobby.left", peer=peer), hosts_only=True)
        return Departure(peer)
    meeting = participant.meeting
    if (now - meeting.last_activity_at).total_seconds() > ACTIVITY_RESOLUTION_SECS:
        Meeting.objects.filter(pk=meeting.pk).update(last_activity_at=now)
    attendance_left(participant=participant)
    notify_room(slug, event("participant.left", peer=peer, reason="left"))
    return Departure(peer, media=True)


def participants_seen(*, peers: list[str]) -> int:
    """A process vouches for its connections (the presence heartbeat)."""
    if not peers:
        return 0
    return Participant.objects.filter(peer__in=peers, state__in=_PRESENT).update(
        seen_at=timezone.now()
    )


# -- acting participants -------------------------------------------------------------------


def actor(peer: str, *, host: bool = False, presenter: bool = False) -> Participant:
    """The participant behind a connection, locked for this transaction, with rights checked."""
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("meeting__room")
        .filter(peer=peer)
        .first()
    )
    if participant is None or participant.state != ParticipantState.JOINED:
        raise SignalingError("not_joined")
    if participant.meeting.ended_at is not None:
        raise SignalingError("ended")
    is_host = participant.role == LiveRole.HOST
    if host and not is_host:
        raise SignalingError("forbidden")
    if presenter and not (is_host or participant.presenter):
        raise SignalingError("forbidden_presenter")
    return participant


def target(
    meeting_id: int, peer: str, *, states: tuple[str, ...] = (ParticipantState.JOINED,)
) -> Participant:
    """Another participant of the same meeting."""
    found = Participant.objects.filter(meeting_id=meeting_id, peer=peer, state__in=states).first()
    if found is None:
        raise SignalingError("no_peer" if ParticipantState.JOINED in states else "not_waiting")
    return found


def announce_update(participant: Participant) -> None:
    """Tell the room how a participant looks now."""
    notify_room(
        participant.meeting.room.slug,
        event(
            "participant.updated",
            participant=serialize_participant(selectors.participant_view(participant)),
        ),
    )


# -- lobby, lock, end ------------------------------------------------------------------------


def _admit(participant: Participant, slug: str) -> None:
    now = timezone.now()
    participant.state = ParticipantState.JOINED
    participant.save(update_fields=["state"])
    _entered(participant.meeting, participant, now)
    notify_room(slug, event("lobby.left", peer=participant.peer), hosts_only=True)
    notify_peer(participant.channel_name, {"action": "admitted"})


@transaction.atomic
def lobby_admit(*, actor_peer: str, peer: str) -> None:
    """A host lets a waiting guest in."""
    host = actor(actor_peer, host=True)
    guest = target(host.meeting_id, peer, states=(ParticipantState.LOBBY,))
    guest.meeting = host.meeting
    _admit(guest, host.meeting.room.slug)


@transaction.atomic
def lobby_deny(*, actor_peer: str, peer: str) -> None:
    """A host turns a waiting guest away."""
    host = actor(actor_peer, host=True)
    guest = target(host.meeting_id, peer, states=(ParticipantState.LOBBY,))
    guest.state, guest.left_at = ParticipantState.DENIED, timezone.now()
    guest.save(update_fields=["state", "left_at"])
    notify_room(host.meeting.room.slug, event("lobby.left", peer=peer), hosts_only=True)
    notify_peer(guest.channel_name, {"action": "denied"})


def _room_state(meeting: Meeting, lobby: bool) -> dict[str, Any]:
    return event("room.updated", locked=meeting.locked, lobby=lobby)


@transaction.atomic
def meeting_lock(*, actor_peer: str, locked: bool) -> None:
    """A host locks the meeting (nobody new gets in) or unlocks it."""
    host = actor(actor_peer, host=True)
    meeting = host.meeting
    meeting.locked = locked
    meeting.save(update_fields=["locked"])
    lobby = selectors.live_settings(meeting.room).lobby_enabled
    notify_room(meeting.room.slug, _room_state(meeting, lobby))


@transaction.atomic
def meeting_lobby(*, actor_peer: str, enabled: bool) -> None:
    """A host turns the lobby on or off; turning it off lets everybody waiting in."""
    host = actor(actor_peer, host=True)
    meeting = host.meeting
    live_settings, _ = LiveRoomSettings.objects.get_or_create(room=meeting.room)
    live_settings.lobby_enabled = enabled
    live_settings.save(update_fields=["lobby_enabled", "updated_at"])
    if not enabled:
        waiting = Participant.objects.filter(meeting=meeting, state=ParticipantState.LOBBY)
        for guest in waiting:
            guest.meeting = meeting
            _admit(guest, meeting.room.slug)
    notify_room(meeting.room.slug, _room_state(meeting, enabled))


@transaction.atomic
def meeting_end(*, actor_peer: str) -> list[str]:
    """A host ends the meeting for everyone; returns the peers that were in it."""
    host = actor(actor_peer, host=True)
    meeting = host.meeting
    now = timezone.now()
    meeting.ended_at, meeting.ended_by = now, host.name
    meeting.save(update_fields=["ended_at", "ended_by"])
    present = list(Participant.objects.filter(meeting=meeting, state__in=_PRESENT))
    Participant.objects.filter(pk__in=[p.pk for p in present]).update(
        state=ParticipantState.LEFT, left_at=now, hand_raised_at=None
    )
    for participant in present:
        if participant.state == ParticipantState.JOINED:
            participant.meeting, participant.left_at = meeting, now
            attendance_left(participant=participant)
        notify_peer(participant.channel_name, {"action": "ended", "by": host.name})
    notify_room(meeting.room.slug, event("meeting.ended", by=host.name))
    return [p.peer for p in present]
