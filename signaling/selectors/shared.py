"""What a meeting shares with all its members: chat, polls, files and slides, for the wire."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.urls import reverse

from signaling import conf
from signaling.domain.protocol import ChatView, DeckView, FileView, PollView, SlidesView
from signaling.models import ChatMessage, Meeting, Poll, PollVote, SharedFile, SlideDeck, SlidePage
from signaling.selectors.roster import iso


def chat_view(message: ChatMessage, *, ref: str = "") -> ChatView:
    """A chat message for the wire."""
    return ChatView(
        id=message.pk,
        peer=message.peer,
        name=message.name,
        text=message.text,
        at=iso(message.sent_at) or "",
        ref=ref,
        jury=message.jury,
    )


def chat_history(meeting_id: int, *, limit: int | None = None) -> list[ChatView]:
    """The last messages of the meeting, oldest first."""
    count = conf.chat_history() if limit is None else limit
    newest = ChatMessage.objects.filter(meeting_id=meeting_id, jury=False).order_by("-id")[:count]
    return [chat_view(message) for message in reversed(list(newest))]


def jury_chat(meeting_id: int) -> list[ChatView]:
    """The last messages of the meeting's jury chat, oldest first (observers only)."""
    newest = ChatMessage.objects.filter(meeting_id=meeting_id, jury=True).order_by("-id")
    return [chat_view(message) for message in reversed(list(newest[: conf.chat_history()]))]


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
