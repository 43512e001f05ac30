"""Slides: a PDF rendered to one image per page (pypdfium2), and the page everybody sees."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from signaling import selectors
from signaling.domain.chapters import chapter_title
from signaling.domain.png import encode_png
from signaling.domain.protocol import event
from signaling.errors import SignalingError
from signaling.events import notify_room
from signaling.models import Meeting, SlideDeck, SlidePage
from signaling.services.meetings import actor

PAGE_MAX_WIDTH_PX = 1600
PAGE_MAX_HEIGHT_PX = 1600
PAGE_MAX_SCALE = 3.0
PAGE_TEXT_MAX_CHARS = 20_000

# PDFium is not thread-safe: one render at a time in this process.
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class RenderedPage:
    """One page as an image, with its text for screen readers."""

    number: int
    png: bytes
    width: int
    height: int
    text: str


def _page_text(page: object) -> str:
    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        text = str(textpage.get_text_bounded())
    finally:
        textpage.close()
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip()[:PAGE_TEXT_MAX_CHARS]


def slides_render(data: bytes, *, max_pages: int) -> list[RenderedPage]:
    """Render every page of a PDF (slow: call it off the event loop and the DB thread)."""
    import pypdfium2  # type: ignore[import-untyped]

    if not data.startswith(b"%PDF-"):
        raise SignalingError("not_pdf")
    with _PDFIUM:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            raise SignalingError("not_pdf") from None
        try:
            count = len(document)
            if count == 0:
                raise SignalingError("not_pdf")
            if count > max_pages:
                raise SignalingError("too_many_pages", limit=max_pages)
            pages = []
            for index in range(count):
                page = document[index]
                try:
                    width_pt, height_pt = page.get_size()
                    scale = min(
                        PAGE_MAX_WIDTH_PX / max(width_pt, 1.0),
                        PAGE_MAX_HEIGHT_PX / max(height_pt, 1.0),
                        PAGE_MAX_SCALE,
                    )
                    bitmap = page.render(scale=scale, rev_byteorder=True)
                    png = encode_png(
                        bitmap.buffer,
                        width=bitmap.width,
                        height=bitmap.height,
                        stride=bitmap.stride,
                    )
                    pages.append(
                        RenderedPage(index + 1, png, bitmap.width, bitmap.height, _page_text(page))
                    )
                    bitmap.close()
                finally:
                    page.close()
            return pages
        finally:
            document.close()


@transaction.atomic
def slides_deck_add(*, actor_peer: str, title: str, pages: list[RenderedPage]) -> int:
    """Store a rendered deck and show its first page to everybody; returns its id."""
    person = actor(actor_peer, presenter=True)
    deck = SlideDeck.objects.create(
        meeting_id=person.meeting_id,
        uploaded_by=person,
        by_name=person.name,
        title=title,
        page_count=len(pages),
    )
    for rendered in pages:
        page = SlidePage(
            deck=deck,
            number=rendered.number,
            width=rendered.width,
            height=rendered.height,
            text=rendered.text,
        )
        page.image.save(f"{rendered.number}.png", ContentFile(rendered.png), save=False)
        page.save()
    slug = person.meeting.room.slug
    notify_room(slug, event("deck.added", deck=selectors.plain_deck(selectors.deck_view(deck))))
    _show(person.meeting, deck.pk, 1)
    return deck.pk


def _show(meeting: Meeting, deck_id: int | None, page: int) -> None:
    meeting.slide_deck_id, meeting.slide_page = deck_id, page
    meeting.save(update_fields=["slide_deck", "slide_page"])
    slug = meeting.room.slug
    notify_room(
        slug,
        event(
            "slides.changed", slides=selectors.plain_slides(selectors.slides_view(meeting, slug))
        ),
    )


@transaction.atomic
def slides_show(*, actor_peer: str, deck_id: int, page: int) -> tuple[str, str]:
    """The presenter turns to a page; everybody sees it.

    Returns the page as a chapter of a recording: (title, the page's text)."""
    person = actor(actor_peer, presenter=True)
    deck = SlideDeck.objects.filter(pk=deck_id, meeting_id=person.meeting_id).first()
    if deck is None:
        raise SignalingError("no_deck")
    if not 1 <= page <= deck.page_count:
        raise SignalingError("bad_page", page=page)
    _show(person.meeting, deck.pk, page)
    text = SlidePage.objects.filter(deck=deck, number=page).values_list("text", flat=True).first()
    return chapter_title(deck.title, page, text or ""), text or ""


@transaction.atomic
def slides_stop(*, actor_peer: str) -> None:
    """The presenter stops showing slides."""
    person = actor(actor_peer, presenter=True)
    _show(person.meeting, None, 1)
