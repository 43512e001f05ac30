"""Slides: a PDF rendered to one image per page (in a child process), and the page shown."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction

from signaling import conf, selectors
from signaling.domain.chapters import chapter_title
from signaling.domain.protocol.serializers import event
from signaling.errors import SignalingError
from signaling.events import notify_room
from signaling.models import Meeting, SlideDeck, SlidePage
from signaling.pdf_child import EXIT_REFUSED
from signaling.services.meetings import actor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedPage:
    """One page as an image, with its text for screen readers."""

    number: int
    png: bytes
    width: int
    height: int
    text: str


# Renders at once in this process, each its own child (made on first use, per setting).
_renders: dict[int, threading.BoundedSemaphore] = {}
_renders_lock = threading.Lock()


def _render_slot() -> threading.BoundedSemaphore:
    count = conf.slides_renders_at_once()
    with _renders_lock:
        return _renders.setdefault(count, threading.BoundedSemaphore(count))


def _child_command(out: str, max_pages: int) -> list[str]:
    wall_secs = conf.slides_render_secs()
    return [
        sys.executable,
        "-m",
        "signaling.pdf_child",
        out,
        str(max_pages),
        str(conf.slides_render_bytes()),
        str(math.ceil(wall_secs) + 1),  # CPU seconds: never more than the wall time
    ]


def _child_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[2])  # the folder holding signaling/
    path = os.environ.get("PYTHONPATH", "")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _refusal(done: subprocess.CompletedProcess[bytes]) -> SignalingError | None:
    if done.returncode == 0:
        return None
    if done.returncode == EXIT_REFUSED:
        code = done.stdout.decode("ascii", "replace").strip()
        if code == "too_many_pages":
            return SignalingError(code, limit=conf.slides_max_pages())
        if code in ("not_pdf", "slides_too_heavy"):
            return SignalingError(code)
    if done.returncode == -signal.SIGXCPU:
        return SignalingError("slides_too_slow")
    if done.returncode < 0 or b"MemoryError" in done.stderr:  # killed: out of memory
        return SignalingError("slides_too_heavy")
    return SignalingError("not_pdf")


def _run_child(source: bytes | Path, out: str, max_pages: int) -> None:
    command = _child_command(out, max_pages)
    timeout = conf.slides_render_secs()
    try:
        if isinstance(source, Path):
            with source.open("rb") as stdin:
                done = subprocess.run(
                    command, stdin=stdin, capture_output=True, timeout=timeout, env=_child_env()
                )
        else:
            done = subprocess.run(
                command, input=source, capture_output=True, timeout=timeout, env=_child_env()
            )
    except subprocess.TimeoutExpired:  # run() has killed the child
        logger.warning("slides: a PDF took longer than %s s to render", timeout)
        raise SignalingError("slides_too_slow") from None
    refusal = _refusal(done)
    if refusal is not None:
        logger.warning(
            "slides: PDF refused (%s, exit %s): %s",
            refusal.code,
            done.returncode,
            done.stderr.decode("utf-8", "replace")[-2000:],
        )
        raise refusal


def slides_render(source: bytes | Path, *, max_pages: int) -> list[RenderedPage]:
    """Render every page of a PDF (bytes or a file) in a child process with time and
    memory limits (signaling/pdf_child.py). Slow: call it off the event loop."""
    with _render_slot(), tempfile.TemporaryDirectory(prefix="meet-slides-") as out:
        _run_child(source, out, max_pages)
        found = json.loads((Path(out) / "pages.json").read_text(encoding="utf-8"))
        return [
            RenderedPage(
                number=int(page["number"]),
                png=(Path(out) / f"{int(page['number'])}.png").read_bytes(),
                width=int(page["width"]),
                height=int(page["height"]),
                text=str(page["text"]),
            )
            for page in found
        ]


@transaction.atomic
def slides_presenter_check(*, actor_peer: str) -> None:
    """Refuse, before anything is read or rendered, someone who may not present."""
    actor(actor_peer, presenter=True)


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
