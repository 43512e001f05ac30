"""Facts about live meetings: which one is open, who is in it, who may join. No writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from rooms.models import Room
from rooms.observers import observes
from rooms.permissions import HOST_ROLES, AnyUser, Role, role_in_room
from scheduling.selectors import occurrence_now
from signaling.models import LiveRole, LiveRoomSettings, Meeting, Participant, ParticipantState

# A connection whose process has not vouched for it this long is gone (a crashed process).
STALE_SECS = 90
HEARTBEAT_SECS = 30


def stale_before() -> datetime:
    """Connections not seen since this moment are counted as gone."""
    return timezone.now() - timedelta(seconds=STALE_SECS)


def live(meeting_id: int) -> QuerySet[Participant]:
    """The participants in a meeting now."""
    return Participant.objects.filter(
        meeting_id=meeting_id, state=ParticipantState.JOINED, seen_at__gte=stale_before()
    )


def open_meeting(room_id: int) -> Meeting | None:
    """The room's meeting that has not ended, if any."""
    return Meeting.objects.filter(room_id=room_id, ended_at__isnull=True).order_by("-id").first()


def live_count(room: Room) -> int:
    """How many people are in the room's meeting now."""
    meeting = open_meeting(room.pk)
    return live(meeting.pk).count() if meeting else 0


def live_settings(room: Room) -> LiveRoomSettings:
    """A room's live settings (defaults when never saved; not stored by reading)."""
    try:
        return room.live_settings  # fetched with the room when it was select_related
    except LiveRoomSettings.DoesNotExist:
        return LiveRoomSettings(room=room)


def participant_for(meeting_id: int, identity: str) -> Participant | None:
    """The newest participation of a person in a meeting."""
    return (
        Participant.objects.filter(meeting_id=meeting_id, identity=identity).order_by("-id").first()
    )


def took_part(meeting_id: int, identity: str) -> bool:
    """Whether a person was let into a meeting (now or earlier)."""
    return Participant.objects.filter(
        Q(joined_at__isnull=False) & ~Q(state=ParticipantState.REMOVED),
        meeting_id=meeting_id,
        identity=identity,
    ).exists()


def is_presenter(peer: str) -> bool:
    """Whether a host made ``peer`` the presenter (and has not taken it back)."""
    return Participant.objects.filter(peer=peer, presenter=True).exists()


def is_in_meeting(*, room_id: int, identity: str, peer: str) -> bool:
    """Whether ``peer`` is this person's connection in the room's open meeting now."""
    if not identity or not peer:
        return False
    return Participant.objects.filter(
        peer=peer,
        identity=identity,
        state=ParticipantState.JOINED,
        meeting__room_id=room_id,
        meeting__ended_at__isnull=True,
    ).exists()


def occurrence_id_of(meeting: Meeting) -> int | None:
    """The scheduled occurrence the meeting belongs to (recorded by its joins), if any."""
    ref = meeting.occurrence_ref
    return int(ref) if ref.isdigit() else None


def in_broadcast_slot(room: Room) -> bool:
    """Whether the room is in the time of a scheduled webinar (its hosts' Record button
    then starts the public broadcast; the watch page asks the same selector)."""
    return occurrence_now(room_id=room.pk, broadcast_only=True) is not None


def live_role(user: AnyUser, room: Room) -> str:
    """A signed-in person's live role in a room now, or "" when they may not join it."""
    role = role_in_room(user, room)
    if role in HOST_ROLES:
        return LiveRole.HOST
    # Seated to watch (a juror during a lesson): silent, even if they are also a member.
    if observes(user, room, timezone.now()):
        return LiveRole.OBSERVER
    if role == Role.PARTICIPANT or room.guest_access:
        return LiveRole.PARTICIPANT
    return ""
