"""What hosts and participants do to a live meeting: rights, the lobby, locking and ending.

Joining and leaving are in ``signaling.services.joins``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from signaling import selectors
from signaling.domain.protocol.serializers import event, serialize_participant
from signaling.errors import SignalingError
from signaling.events import notify_peer, notify_room
from signaling.models import LiveRole, LiveRoomSettings, Meeting, Participant, ParticipantState
from signaling.services.attendance import attendance_left
from signaling.services.joins import PRESENT, participant_entered

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
    participant_entered(participant.meeting, participant, now)
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
    present = list(Participant.objects.filter(meeting=meeting, state__in=PRESENT))
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
