"""Reads of live meetings: who is in, the chat, polls, files and slides. Nothing here writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from rooms.models import Room
from rooms.permissions import HOST_ROLES, AnyUser, Role, role_in_room
from signaling import conf
from signaling.domain.protocol import (
    PROTOCOL_VERSION,
    ChatView,
    DeckView,
    FileView,
    ParticipantView,
    PollView,
    SlidesView,
    serialize_chat,
    serialize_participant,
    serialize_poll,
)
from signaling.models import (
    ChatMessage,
    LiveRole,
    LiveRoomSettings,
    Meeting,
    Participant,
    ParticipantState,
    Poll,
    PollVote,
    SharedFile,
    SlideDeck,
    SlidePage,
)

# A connection whose process has not vouched for it this long is gone (a crashed process).
STALE_SECS = 90
HEARTBEAT_SECS = 30

_VIEW_FIELDS = (
    "peer",
    "name",
    "role",
    "presenter",
    "hand_raised_at",
    "audio_on",
    "video_on",
    "screen_on",
)


def iso(moment: datetime | None) -> str | None:
    """A time for the wire (ISO 8601, UTC)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def stale_before() -> datetime:
    """Connections not seen since this moment are counted as gone."""
    return timezone.now() - timedelta(seconds=STALE_SECS)


def _view(row: dict[str, Any]) -> ParticipantView:
    return ParticipantView(
        peer=row["peer"],
        name=row["name"],
        role=row["role"],
        presenter=row["presenter"],
        hand=iso(row["hand_raised_at"]),
        audio=row["audio_on"],
        video=row["video_on"],
        screen=row["screen_on"],
    )


def participant_view(participant: Participant) -> ParticipantView:
    """One participant as every member sees them."""
    return _view({name: getattr(participant, name) for name in _VIEW_FIELDS})


def live(meeting_id: int) -> QuerySet[Participant]:
    """The participants in a meeting now."""
    return Participant.objects.filter(
        meeting_id=meeting_id, state=ParticipantState.JOINED, seen_at__gte=stale_before()
    )


def participants(meeting_id: int) -> list[ParticipantView]:
    """Who is in the meeting, in order of arrival."""
    rows = live(meeting_id).order_by("joined_at", "id").values(*_VIEW_FIELDS)
    return [_view(row) for row in rows]


def participants_wire(meeting_id: int) -> list[dict[str, Any]]:
    """``participants`` as wire objects, built straight from tuples (a room of 1,000 joins
    100 times a second: this runs for every join)."""
    rows = live(meeting_id).order_by("joined_at", "id").values_list(*_VIEW_FIELDS)
    return [
        {
            "peer": peer,
            "name": name,
            "role": role,
            "presenter": presenter,
            "hand": iso(hand),
            "audio": audio,
            "video": video,
            "screen": screen,
        }
        for peer, name, role, presenter, hand, audio, video, screen in rows
    ]


def lobby(meeting_id: int) -> list[ParticipantView]:
    """Guests waiting to be let in, first come first."""
    rows = (
        Participant.objects.filter(
            meeting_id=meeting_id, state=ParticipantState.LOBBY, seen_at__gte=stale_before()
        )
        .order_by("created_at", "id")
        .values(*_VIEW_FIELDS)
    )
    return [_view(row) for row in rows]


def hands(meeting_id: int) -> list[dict[str, Any]]:
    """Raised hands in the order they went up."""
    rows = (
        live(meeting_id)
        .filter(hand_raised_at__isnull=False)
        .order_by("hand_raised_at", "id")
        .values_list("peer", "name", "hand_raised_at")
    )
    return [{"peer": peer, "name": name, "at": iso(at)} for peer, name, at in rows]


def chat_view(message: ChatMessage, *, ref: str = "") -> ChatView:
    """A chat message for the wire."""
    return ChatView(
        id=message.pk,
        peer=message.peer,
        name=message.name,
        text=message.text,
        at=iso(message.sent_at) or "",
        ref=ref,
    )


def chat_history(meeting_id: int, *, limit: int | None = None) -> list[ChatView]:
    """The last messages of the meeting, oldest first."""
    count = conf.chat_history() if limit is None else limit
    newest = ChatMessage.objects.filter(meeting_id=meeting_id).order_by("-id")[:count]
    return [chat_view(message) for message in reversed(list(newest))]


def poll_view(poll: Poll) -> PollView:
    """A poll with its results now."""
    options = list(poll.options.order_by("position"))
    counted = dict(
        PollVote.objects.filter(poll=poll)
        .values_list("option__position")
        .annotate(n=Count("id"))
        .values_list("option__position", "n")
    )
    voters = PollVote.objects.filter(poll=poll).values("identity").distinct().count()
    return PollView(
        id=poll.pk,
        question=poll.question,
        options=tuple(option.text for option in options),
        multiple=poll.multiple,
        closed=poll.closed_at is not None,
        counts=tuple(counted.get(option.position, 0) for option in options),
        voters=voters,
        by=poll.created_by,
    )


def polls(meeting_id: int) -> list[PollView]:
    """Every poll of the meeting with its results."""
    return [poll_view(poll) for poll in Poll.objects.filter(meeting_id=meeting_id)]


def my_votes(meeting_id: int, identity: str) -> dict[str, list[int]]:
    """Which answers one person chose, by poll id."""
    votes: dict[str, list[int]] = {}
    rows = PollVote.objects.filter(poll__meeting_id=meeting_id, identity=identity).values_list(
        "poll_id", "option__position"
    )
    for poll_id, position in rows:
        votes.setdefault(str(poll_id), []).append(position)
    return votes


def file_view(shared: SharedFile, slug: str) -> FileView:
    """A shared file for the wire, with its download address."""
    return FileView(
        id=shared.pk,
        name=shared.name,
        size=shared.size,
        url=reverse("signaling:file", kwargs={"slug": slug, "pk": shared.pk}),
        by=shared.by_name,
        at=iso(shared.created_at) or "",
    )


def files(meeting_id: int, slug: str, *, last: int | None = None) -> list[FileView]:
    """Files shared in the meeting, oldest first (only the ``last`` most recent if given)."""
    found = SharedFile.objects.filter(meeting_id=meeting_id)
    if last is not None:
        found = found.order_by("-created_at", "-id")[:last]
    rows = sorted(found, key=lambda shared: (shared.created_at, shared.pk))
    return [file_view(shared, slug) for shared in rows]


def files_count(meeting_id: int, *, identity: str = "") -> int:
    """How many files the meeting holds (or one person, in all their connections, shared)."""
    found = SharedFile.objects.filter(meeting_id=meeting_id)
    if identity:
        found = found.filter(uploaded_by__identity=identity)
    return found.count()


def deck_view(deck: SlideDeck) -> DeckView:
    """A slide deck in the list of the meeting's decks."""
    return DeckView(id=deck.pk, title=deck.title, pages=deck.page_count, by=deck.by_name)


def decks(meeting_id: int) -> list[DeckView]:
    """The meeting's slide decks."""
    return [deck_view(deck) for deck in SlideDeck.objects.filter(meeting_id=meeting_id)]


def slides_view(meeting: Meeting, slug: str) -> SlidesView | None:
    """The page everyone sees now, or None when no slides are shown."""
    if meeting.slide_deck_id is None:
        return None
    page = (
        SlidePage.objects.select_related("deck")
        .filter(deck_id=meeting.slide_deck_id, number=meeting.slide_page)
        .first()
    )
    if page is None:
        return None
    return SlidesView(
        deck=page.deck_id,
        title=page.deck.title,
        page=page.number,
        pages=page.deck.page_count,
        image=reverse(
            "signaling:slide", kwargs={"slug": slug, "deck": page.deck_id, "page": page.number}
        ),
        text=page.text,
        width=page.width,
        height=page.height,
    )


def live_settings(room: Room) -> LiveRoomSettings:
    """A room's live settings (defaults when never saved; not stored by reading)."""
    try:
        return room.live_settings  # fetched with the room when it was select_related
    except LiveRoomSettings.DoesNotExist:
        return LiveRoomSettings(room=room)


def open_meeting(room_id: int) -> Meeting | None:
    """The room's meeting that has not ended, if any."""
    return Meeting.objects.filter(room_id=room_id, ended_at__isnull=True).order_by("-id").first()


def live_count(room: Room) -> int:
    """How many people are in the room's meeting now."""
    meeting = open_meeting(room.pk)
    return live(meeting.pk).count() if meeting else 0


SHARED_KEYS = ("chat", "polls", "files", "files_total", "decks", "slides")


def welcome_shared(meeting: Meeting) -> dict[str, Any]:
    """The part of ``welcome`` that is the same for everybody (cached per hub)."""
    slug = meeting.room.slug
    return {
        "chat": [serialize_chat(message) for message in chat_history(meeting.pk)],
        "polls": [serialize_poll(poll) for poll in polls(meeting.pk)],
        # The most recent files, and how many there are: a join message stays bounded.
        "files": [plain_file(f) for f in files(meeting.pk, slug, last=conf.welcome_files())],
        "files_total": files_count(meeting.pk),
        "decks": [plain_deck(d) for d in decks(meeting.pk)],
        "slides": plain_slides(slides_view(meeting, slug)),
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
        "votes": my_votes(meeting.pk, me.identity) if with_votes else {},
        "ice_servers": ice_servers,
    }
    if with_participants:
        data["participants"] = participants_wire(meeting.pk)
        data["hands"] = hands(meeting.pk)
    if with_shared:
        data.update(welcome_shared(meeting))
    if me.role == LiveRole.HOST:
        data["lobby"] = [serialize_participant(p) for p in lobby(meeting.pk)]
    return data


def hands_of(roster: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raised hands in the order raised, from a roster of wire participants."""
    raised = [
        (person["hand"], index, person) for index, person in enumerate(roster) if person["hand"]
    ]
    return [
        {"peer": person["peer"], "name": person["name"], "at": at}
        for at, _, person in sorted(raised, key=lambda item: (item[0], item[1]))
    ]


def plain_file(view: FileView) -> dict[str, Any]:
    return {
        "id": view.id,
        "name": view.name,
        "size": view.size,
        "url": view.url,
        "by": view.by,
        "at": view.at,
    }


def plain_deck(view: DeckView) -> dict[str, Any]:
    return {"id": view.id, "title": view.title, "pages": view.pages, "by": view.by}


def plain_slides(view: SlidesView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "deck": view.deck,
        "title": view.title,
        "page": view.page,
        "pages": view.pages,
        "image": view.image,
        "text": view.text,
        "width": view.width,
        "height": view.height,
    }


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


def in_broadcast_slot(room: Room) -> bool:
    """Whether the room is in the time of a scheduled webinar (its hosts' Record button
    then starts the public broadcast; streaming decides the same way)."""
    from scheduling.selectors import occurrence_now

    return occurrence_now(room_id=room.pk, broadcast_only=True) is not None


def live_role(user: AnyUser, room: Room) -> str:
    """A signed-in person's live role in a room now, or "" when they may not join it."""
    role = role_in_room(user, room)
    if role in HOST_ROLES:
        return LiveRole.HOST
    if role == Role.PARTICIPANT or room.guest_access:
        return LiveRole.PARTICIPANT
    return ""
