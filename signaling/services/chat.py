"""Chat: every message is stored as it is sent, then shown to everybody.

A lesson's jurors (silent observers, issue 15) have a chat of their own in the room: it
is stored the same way and sent to each observer's connection, never to the room.
"""

from __future__ import annotations

from django.db import transaction

from signaling import selectors
from signaling.domain.protocol.serializers import serialize_chat
from signaling.errors import SignalingError
from signaling.events import notify_peer, notify_room
from signaling.models import ChatMessage, LiveRole, Participant, ParticipantState
from signaling.services.meetings import actor


@transaction.atomic
def chat_post(*, actor_peer: str, text: str, ref: str = "", jury: bool = False) -> int:
    """Store a (validated) chat message and send it to the room (or, ``jury``, to the
    observers in it); returns its id."""
    person = actor(actor_peer)
    if jury != (person.role == LiveRole.OBSERVER):
        # Observers write to the jury alone; nobody else writes there (nor reads it).
        raise SignalingError("observer_silent" if not jury else "jury_only")
    message = ChatMessage.objects.create(
        meeting_id=person.meeting_id,
        participant=person,
        peer=person.peer,
        name=person.name,
        text=text,
        jury=jury,
    )
    shown = serialize_chat(selectors.chat_view(message, ref=ref))
    if not jury:
        notify_room(person.meeting.room.slug, shown)
        return message.pk
    jurors = Participant.objects.filter(
        meeting_id=person.meeting_id, role=LiveRole.OBSERVER, state=ParticipantState.JOINED
    ).values_list("channel_name", flat=True)
    for channel in jurors:
        notify_peer(channel, {"action": "forward", "event": shown})
    return message.pk
