"""Agenda documents: attached by the host, downloadable by invitees only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rooms.models import Room
from rooms.services.demo import demo_load
from scheduling.models import RuleKind, SessionDocument
from scheduling.services.invitations import RuleInput, invitations_set
from scheduling.services.sessions import session_schedule
from tests.clients import as_user
from tests.scheduling.test_invitations import province
from tests.scheduling.test_sessions import briefing, next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(db: None, settings: Any, tmp_path: Path) -> int:
    settings.MEDIA_ROOT = tmp_path
    demo_load()
    hanoi = Room.objects.select_related("unit", "unit__province").get(slug="hanoi")
    session = session_schedule(data=briefing(hanoi, next_monday(), weeks=1))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.SCHOOLS, province=province(hanoi), level="C3")]
    )
    occurrence = session.occurrences.first()
    assert occurrence is not None
    return occurrence.pk


def test_host_attaches_and_invitee_downloads(meeting: int) -> None:
    pdf = SimpleUploadedFile("Chuong-trinh.pdf", b"%PDF-1.4 agenda", content_type="application/pdf")
    as_user("quanly.hanoi").post(f"/hanoi/occurrences/{meeting}/documents/", {"file": pdf})
    document = SessionDocument.objects.get()
    school = as_user("c3tranphu-hanoi")
    assert "Chuong-trinh.pdf" in school.get("/c3tranphu-hanoi/invitations/").content.decode()
    response = school.get(f"/calendar/documents/{document.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 agenda"  # type: ignore[attr-defined]
    assert (
        as_user("badinh").get(f"/calendar/documents/{document.pk}/").status_code == 403
    )  # not invited
    assert Client().get(f"/calendar/documents/{document.pk}/").status_code == 302  # sign in first


def test_only_documents_are_accepted(meeting: int) -> None:
    script = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    page = as_user("quanly.hanoi").post(
        f"/hanoi/occurrences/{meeting}/documents/", {"file": script}, follow=True
    )
    assert not SessionDocument.objects.exists()
    assert "PDF" in page.content.decode()
