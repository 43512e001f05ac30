"""Chat: every message is stored as it is sent, then shown to everybody."""

from __future__ import annotations

from django.db import transaction

from signaling import selectors
from signaling.domain.protocol.serializers import serialize_chat
from signaling.events import notify_room
from signaling.models import ChatMessage
from signaling.services.meetings import actor


@transaction.atomic
def chat_post(*, actor_peer: str, text: str, ref: str = "") -> int:
    """Store a (validated) chat message and send it to the room; returns its id."""
    person = actor(actor_peer)
    message = ChatMessage.objects.create(
        meeting_id=person.meeting_id,
        participant=person,
        peer=person.peer,
        name=person.name,
        text=text,
    )
    notify_room(person.meeting.room.slug, serialize_chat(selectors.chat_view(message, ref=ref)))
    return message.pk
