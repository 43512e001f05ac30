"""A participant whose connection dropped, as the room sees them (issue 13, item 5).

The seat itself is held by the process that lost the connection (signaling/seats.py);
these writes only tell the room, so the others' lists can show the person as
reconnecting instead of gone, and as back when the page resumes the participant.
"""

from __future__ import annotations

from django.db import transaction

from signaling import selectors
from signaling.domain.protocol.serializers import event, serialize_participant
from signaling.events import notify_room
from signaling.models import Participant, ParticipantState


@transaction.atomic
def participant_away(*, peer: str, channel_name: str) -> bool:
    """Announce that the connection ``channel_name`` of a joined participant dropped.

    ``participant.updated`` with ``away``: the hubs' rosters keep the flag, so somebody
    who joins meanwhile sees it too. False when the participant is no longer joined
    through that connection (it left, or the page already came back on another)."""
    participant = (
        Participant.objects.select_related("meeting__room")
        .filter(peer=peer, state=ParticipantState.JOINED, channel_name=channel_name)
        .first()
    )
    if participant is None:
        return False
    shown = {**serialize_participant(selectors.participant_view(participant)), "away": True}
    notify_room(participant.meeting.room.slug, event("participant.updated", participant=shown))
    return True


def participant_back(*, slug: str, participant: Participant) -> None:
    """The page resumed a participant still in the meeting: shown without ``away``.

    Called in the join's transaction (services.joins), wherever the page came back."""
    shown = serialize_participant(selectors.participant_view(participant))
    notify_room(slug, event("participant.updated", participant=shown))
