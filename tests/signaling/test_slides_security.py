"""Issue 10, row 4: who may present is checked first; PDFs are rendered in a child process
with time and memory limits, so a hostile PDF costs that child, never the web server."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.auth.models import User
from django.test import Client

from rooms.models import MemberRole, Room, RoomMembership
from signaling.models import SlideDeck
from tests.factories import RoomFactory, UserFactory
from tests.signaling.evil_pdf import nested_forms_pdf
from tests.signaling.pdf import make_pdf
from tests.signaling.test_views import in_meeting, signed_in, upload
from tests.signaling.uploads import CountingUploadHandler, count_uploads

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(settings, tmp_path) -> Room:
    settings.MEDIA_ROOT = tmp_path
    return cast(Room, RoomFactory(guest_access=True))


@pytest.fixture
def host(room: Room) -> tuple[Client, str]:
    user = cast(User, UserFactory())
    RoomMembership.objects.create(room=room, user=user, role=MemberRole.HOST)
    return signed_in(user), in_meeting(room, user, role="host")


def slides(room: Room, presenter: tuple[Client, str], data: bytes) -> Any:
    client, peer = presenter
    return upload(client, f"/{room.slug}/live/slides/", peer, data, "x.pdf")


def test_a_non_presenter_is_refused_before_the_pdf_is_read(room: Room, settings) -> None:
    """Issue 10, row 4: a non-presenter made the server read and render a PDF first."""
    count_uploads(settings)
    member = cast(User, UserFactory())
    peer = in_meeting(room, member)
    answer = slides(room, (signed_in(member), peer), make_pdf(["a"] * 40))
    assert answer.status_code == 400 and answer.json()["code"] == "forbidden_presenter"
    assert CountingUploadHandler.received == 0  # the body was never parsed
    assert not SlideDeck.objects.exists()


def test_a_huge_page_count_is_refused_before_rendering(
    room: Room, host: tuple[Client, str]
) -> None:
    """Issue 10, row 4: 5,000 pages are counted, not rendered, and refused clearly."""
    answer = slides(room, host, make_pdf(["x"] * 5000))
    assert answer.status_code == 400
    assert answer.json()["code"] == "too_many_pages" and "200" in answer.json()["error"]


def test_a_pdf_that_needs_too_much_memory_costs_only_its_child(
    room: Room, host: tuple[Client, str], settings
) -> None:
    """Issue 10, row 4: PDFium ran in the web process with no memory limit."""
    settings.MEET_LIVE_SLIDES_RENDER_BYTES = 256 * 1024 * 1024
    answer = slides(room, host, nested_forms_pdf(6))
    assert answer.status_code == 400
    assert answer.json()["code"] == "slides_too_heavy"
    assert "bộ nhớ" in answer.json()["error"]
    assert slides(room, host, make_pdf(["still here"])).status_code == 201  # server alive


def test_a_pdf_that_renders_too_long_is_stopped(
    room: Room, host: tuple[Client, str], settings
) -> None:
    """Issue 10, row 4: PDFium ran in the web process with no time limit."""
    settings.MEET_LIVE_SLIDES_RENDER_SECS = 2.0
    settings.MEET_LIVE_SLIDES_RENDER_BYTES = 4 * 1024 * 1024 * 1024
    answer = slides(room, host, nested_forms_pdf(7))  # ten million squares: minutes
    assert answer.status_code == 400
    assert answer.json()["code"] == "slides_too_slow"
    assert "quá nhiều thời gian" in answer.json()["error"]
    assert slides(room, host, make_pdf(["still here"])).status_code == 201


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>",
        make_pdf(["a"])[:200],  # cut short
        b"%PDF-" + bytes(range(256)) * 40,
    ],
)
def test_malformed_pdfs_get_a_clear_answer(
    room: Room, host: tuple[Client, str], data: bytes
) -> None:
    """Issue 10, row 4: malformed PDFs are refused with a sentence, never a 500."""
    answer = slides(room, host, data)
    assert answer.status_code == 400 and answer.json()["code"] == "not_pdf"
    assert "PDF" in answer.json()["error"]
