"""The ``welcome`` message a participant gets on joining (docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from signaling import conf
from signaling.domain.protocol import (
    PROTOCOL_VERSION,
    serialize_chat,
    serialize_participant,
    serialize_poll,
)
from signaling.models import LiveRole, LiveRoomSettings, Meeting, Participant
from signaling.selectors import shared
from signaling.selectors.meetings import live_settings
from signaling.selectors.roster import hands, lobby, participant_view, participants_wire

SHARED_KEYS = ("chat", "polls", "files", "files_total", "decks", "slides")


def welcome_shared(meeting: Meeting) -> dict[str, Any]:
    """The part of ``welcome`` that is the same for everybody (cached per hub)."""
    slug = meeting.room.slug
    return {
        "chat": [serialize_chat(message) for message in shared.chat_history(meeting.pk)],
        "polls": [serialize_poll(poll) for poll in shared.polls(meeting.pk)],
        # The most recent files, and how many there are: a join message stays bounded.
        "files": [
            shared.plain_file(f) for f in shared.files(meeting.pk, slug, last=conf.welcome_files())
        ],
        "files_total": shared.files_count(meeting.pk),
        "decks": [shared.plain_deck(d) for d in shared.decks(meeting.pk)],
        "slides": shared.plain_slides(shared.slides_view(meeting, slug)),
    }


def shared_of_meeting(meeting_id: int) -> dict[str, Any]:
    """``welcome_shared`` by meeting id."""
    return welcome_shared(Meeting.objects.select_related("room").get(pk=meeting_id))


def welcome(
    *,
    meeting: Meeting,
    me: Participant,
    ice_servers: list[dict[str, Any]],
    settings_row: LiveRoomSettings | None = None,
    with_participants: bool = True,
    with_shared: bool = True,
    with_votes: bool = True,
) -> dict[str, Any]:
    """Everything a participant needs on joining: the ``welcome`` message (docs/protocol.md).

    The consumer leaves out what its process's fan-out hub already knows: the
    participants and raised hands (``with_participants``: the hub keeps the roster from
    the events it relays) and the shared part (``with_shared``: cached until an event
    changes it).
    """
    room = meeting.room
    data: dict[str, Any] = {
        "type": "welcome",
        "v": PROTOCOL_VERSION,
        "you": serialize_participant(participant_view(me)),
        "room": {
            "slug": room.slug,
            "name": room.display_name,
            "locked": meeting.locked,
            "lobby": (settings_row or live_settings(room)).lobby_enabled,
            "meeting": meeting.pk,
        },
        "votes": shared.my_votes(meeting.pk, me.identity) if with_votes else {},
        "ice_servers": ice_servers,
    }
    if with_participants:
        data["participants"] = participants_wire(meeting.pk)
        data["hands"] = hands(meeting.pk)
    if with_shared:
        data.update(welcome_shared(meeting))
    if me.role == LiveRole.HOST:
        data["lobby"] = [serialize_participant(p) for p in lobby(meeting.pk)]
    if me.role == LiveRole.OBSERVER:
        data["jury_chat"] = [serialize_chat(message) for message in shared.jury_chat(meeting.pk)]
    return data
