"""Course pages: the certificate and its public check, forged codes, the player's reports."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pypdfium2  # type: ignore[import-untyped]
import pytest
from django.test import Client

from courses.domain.codes import encode
from courses.selectors import progress_of
from courses.services.certificates import certificate_issue, new_code
from realtime.ratelimit import reset_store
from tests.courses.conftest import World, attend, recorded


@pytest.fixture(autouse=True)
def _fresh_limits(settings) -> None:
    settings.MEET_RATELIMIT_PREFIX = f"test-courses:{uuid.uuid4().hex}:"
    reset_store()


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _completed(world: World):
    minh = world.teachers["minh"]
    for session in world.sessions:
        attend(session.occurrence, minh, 0, 60)
    return certificate_issue(course=world.course, user=minh)


def _pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document)


def test_the_certificate_pdf_says_who_what_how_long_and_how_to_check(world: World) -> None:
    certificate = _completed(world)
    response = _client(world.teachers["minh"]).get(f"/courses/{world.course.pk}/certificate.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(_pdf_text(response.content).split())
    for words in (
        "Trần Văn Minh",
        "Bồi dưỡng Chương trình GDPT 2018 môn Toán",
        "Sở Giáo dục và Đào tạo Hà Nội".upper(),
        "12",
        certificate.code,
        f"/verify/{certificate.code}",
    ):
        assert words in text


def test_another_teacher_cannot_download_it(world: World) -> None:
    _completed(world)
    response = _client(world.teachers["hoa"]).get(f"/courses/{world.course.pk}/certificate.pdf")
    assert response.status_code == 404


def test_a_genuine_code_verifies_for_anyone(world: World) -> None:
    certificate = _completed(world)
    for code in (certificate.code, certificate.code.lower(), certificate.code.replace("-", "")):
        response = Client().get(f"/verify/{code}")
        assert response.status_code == 200
        body = response.content.decode()
        assert 'id="certificate-valid"' in body
        assert "Trần Văn Minh" in body and "Bồi dưỡng Chương trình GDPT 2018" in body


@pytest.mark.parametrize(
    "forge",
    [
        lambda code: code[:-1] + ("0" if code[-1] != "0" else "1"),  # one character changed
        lambda code: new_code(),  # a well-formed code nobody was given
        lambda code: encode(0),
        lambda code: "ABC",
        lambda code: code + "0",
        lambda code: "%3Cscript%3E",
    ],
)
def test_a_forged_or_unknown_code_is_a_clear_404(world: World, forge) -> None:
    certificate = _completed(world)
    response = Client().get(f"/verify/{forge(certificate.code)}")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'id="certificate-unknown"' in body
    assert "Trần Văn Minh" not in body and "<script>" not in body


def test_the_player_reports_merge_and_count_once(world: World) -> None:
    hoa, third = world.teachers["hoa"], world.sessions[2]
    recorded(third)
    url = f"/courses/{world.course.pk}/sessions/{third.pk}/watched"
    client = _client(hoa)
    for _ in range(2):
        response = client.post(url, json.dumps({"spans": [[0, 12.5]]}), "application/json")
        assert response.status_code == 200
    assert response.json() == {"ok": True, "seconds": 12.5}
    bad = client.post(url, "nonsense", "application/json")
    assert bad.status_code == 400
    assert _client(world.stranger).post(url, "{}", "application/json").status_code == 404
    assert Client().post(url, "{}", "application/json").status_code == 403


def test_completion_per_school_exports_as_csv(world: World) -> None:
    _completed(world)
    client = _client(world.organiser)
    page = client.get(f"/courses/{world.course.pk}/completion/")
    assert page.status_code == 200 and "Trường THCS Giảng Võ" in page.content.decode()
    response = client.get(f"/courses/{world.course.pk}/completion.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 3  # the header, Minh and Hoa
    minh = next(r for r in rows if r[1] == "gv.minh")
    assert minh[2] == "Trường THCS Giảng Võ" and minh[3:6] == ["100", "100", "100"]


def test_the_teacher_sees_progress_and_gets_the_certificate(world: World) -> None:
    minh = world.teachers["minh"]
    client = _client(minh)
    page = client.get(f"/courses/{world.course.pk}/")
    assert 'id="course-incomplete"' in page.content.decode()
    for session in world.sessions:
        attend(session.occurrence, minh, 0, 60)
    assert 'id="course-complete"' in client.get(f"/courses/{world.course.pk}/").content.decode()
    response = client.post(f"/courses/{world.course.pk}/certificate/")
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{world.course.pk}/certificate.pdf"


def test_the_organiser_changes_the_completion_share(world: World) -> None:
    """The rule is the organiser's: at 50 % half of each session is enough."""
    minh = world.teachers["minh"]
    for session in world.sessions:
        attend(session.occurrence, minh, 0, 30)
    assert not progress_of(world.course, minh).complete
    response = _client(world.organiser).post(
        f"/courses/{world.course.pk}/edit/",
        {
            "organiser": world.department.pk,
            "title": world.course.title,
            "description": "",
            "hours": "12",
            "min_percent": "50",
        },
    )
    assert response.status_code == 302
    world.course.refresh_from_db()
    assert world.course.min_percent == 50
    assert progress_of(world.course, minh).complete
    assert _client(minh).get(f"/courses/{world.course.pk}/edit/").status_code == 404
