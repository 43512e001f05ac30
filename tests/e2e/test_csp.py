"""End to end, the Content-Security-Policy in headless Chromium: the main pages load with
no violation (so nothing is left inline and nothing comes from another origin), and
only the portal's embeddable player can be framed by another site."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from mediaworker.wire.status import RecordingStatus, write_status
from tests.archive.conftest import make_mp4
from tests.e2e.server import live_var_dir, meet_shell
from tests.e2e.test_foundation import sign_in

pytestmark = pytest.mark.e2e

# Every violation the page reports, enforced or not, is kept for the test to read.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

FIXTURES = """
import json, os
from datetime import timedelta
from pathlib import Path
from django.utils import timezone
from rooms.models import Room
from scheduling.models import Occurrence
from archive.models import Recording, RecordingKind
from archive.services.archive import archive_demo_recording
from tests.meetings import one_meeting
entry = archive_demo_recording(
    Path(os.environ["CSP_E2E_DIR"]), room=Room.objects.get(slug="hanoi"),
    title="Kiểm tra chính sách nội dung", description="Trang xem lại")
room = Room.objects.exclude(unit=None).order_by("-slug").first()
now = timezone.now()
occurrence = one_meeting(
    room, start=now - timedelta(minutes=5), length=timedelta(hours=2, minutes=5),
    title="Phát trực tiếp kiểm tra CSP", broadcast=True)
Recording.objects.create(
    room=room, occurrence=occurrence, kind=RecordingKind.BROADCAST, started_at=now)
hanoi = Occurrence.objects.filter(room__slug="hanoi").order_by("start").first()
print(json.dumps({"entry": entry.pk, "slug": entry.slug, "watch": room.slug,
                  "occurrence": hanoi.pk, **reports()}))
"""

# The reports with charts (issue 15, item 9): a course one teacher completed and a
# competition with a scored lesson, both of the demo's Hà Nội department.
REPORTS = """
from datetime import time
from decimal import Decimal
from django.contrib.auth.models import User
from competitions.services.registration import ContestantInput, contestant_register
from competitions.services.scoring import sheet_save
from competitions.services.setup import (
    CompetitionInput, competition_create, juror_add, registration_close, registration_open,
    scoring_start,
)
from competitions.services.timetable import timetable_generate
from courses.services.setup import CourseInput, course_create, course_invite, course_session_add
from rooms.models import Unit
from scheduling.models import Attendance


def reports():
    organiser = User.objects.get(username="quanly.hanoi")
    department = Unit.objects.get(code="SO01")
    teacher = User.objects.get(username="giaovien1")
    course = course_create(
        data=CourseInput(organiser=department, title="Bồi dưỡng CSP", description="",
                         hours=Decimal("2"), min_percent=80),
        by=organiser,
    )
    course_invite(course=course, user=teacher)
    lesson = one_meeting(Room.objects.get(slug="hanoi"), start=now - timedelta(days=2),
                         title="Buổi bồi dưỡng CSP")
    course_session_add(course=course, occurrence=lesson)
    Attendance.objects.create(occurrence=lesson, user=teacher, name="Giáo viên",
                              joined_at=lesson.start, left_at=lesson.end)
    day = timezone.localdate() + timedelta(days=11)
    competition = competition_create(
        data=CompetitionInput(
            organiser=department, name="Thi GVDG CSP", level="province", school_level="",
            rounds="", first_day=day, last_day=day, day_start=time(13, 30),
            day_end=time(16, 30), slot_minutes=45, buffer_minutes=15, aggregation="mean",
            subjects=["Toán"], rooms=[Room.objects.get(slug="caugiay")],
        ),
        by=organiser,
    )
    registration_open(competition=competition)
    contestant = contestant_register(
        competition=competition,
        data=ContestantInput(
            school=Unit.objects.get(code="HN-C3TRANPHU"), subject=competition.subjects.get(),
            teacher_name="Trần Văn Minh", teacher_email="", lesson_title="Hàm số bậc hai",
            class_name="10A1", documents=[],
        ),
        by=User.objects.get(username="c3tranphu-hanoi"),
    )
    registration_close(competition=competition)
    timetable_generate(competition=competition)
    jurors = [(User.objects.get(username="giaovien1"), "HN-BADINH"),
              (User.objects.get(username="giaovien2"), "HN-CAUGIAY")]
    for juror, unit in jurors:
        juror_add(subject=competition.subjects.get(), user=juror,
                  unit=Unit.objects.get(code=unit), chair=unit == "HN-BADINH")
    scoring_start(competition=competition)
    for juror, _unit in jurors:
        sheet_save(contestant=contestant, by=juror, comment="", submit=True,
                   points={c.pk: c.max_points for c in competition.criteria.all()})
    return {"course": course.pk, "competition": competition.pk}
"""


@pytest.fixture(scope="module")
def objects(
    live_url: str, server_database: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """An archive entry and a room broadcasting now, in the live server's database."""
    directory = tmp_path_factory.mktemp("csp-e2e") / uuid.uuid4().hex
    directory.mkdir()
    make_mp4(directory / "recording.mp4", seconds=2)
    write_status(directory, RecordingStatus(state="ready", progress=1.0, duration=2.0))
    return dict(
        meet_shell(
            REPORTS + FIXTURES,
            database=server_database,
            var_dir=live_var_dir(tmp_path_factory),
            CSP_E2E_DIR=str(directory),
        )
    )


@pytest.fixture
def watched(page: Page) -> Iterator[tuple[Page, list[str]]]:
    """The page, and the CSP errors Chromium writes to its console."""
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    yield page, console


def _violations(page: Page, path: str, console: list[str]) -> list[str]:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)  # a module script's first fetches and sockets
    recorded = page.evaluate("window.__cspViolations")
    found = [f"{path}: {text}" for text in [*recorded, *console]]
    console.clear()
    return found


def test_public_pages_load_without_csp_violations(
    watched: tuple[Page, list[str]], objects: dict[str, Any]
) -> None:
    """Issue 10, row 9: home, room, portal, entry, embed, watch page, calendars, sign-in
    and the API docs run under the enforced CSP with nothing refused."""
    page, console = watched
    paths = [
        "/",
        "/hanoi",
        "/sites/",
        "/portal/",
        f"/portal/{objects['entry']}-{objects['slug']}/",
        f"/portal/embed/{objects['entry']}/",
        f"/{objects['watch']}/live/",
        "/hanoi/calendar/",
        "/hanoi/calendar/month/",
        "/accounts/login/",
        "/api/docs/",
    ]
    problems = [v for path in paths for v in _violations(page, path, console)]
    assert not problems, "\n".join(problems)
    page.goto("/api/docs/")
    page.wait_for_selector("#swagger-ui .information-container", timeout=20_000)


def test_the_live_room_and_the_self_test_run_without_csp_violations(
    watched: tuple[Page, list[str]],
) -> None:
    """Issue 10, row 9: past the pre-join, the room (camera, microphone, media from the
    worker, chat over the socket) and the self-test's checks use nothing the CSP or the
    Permissions-Policy refuses."""
    page, console = watched
    sign_in(page, "admin", "/hanoi/live/")
    page.locator("[data-action='join']").click()
    expect(page.locator("[data-view='room']")).to_be_visible(timeout=20_000)
    page.locator("[data-panel='chat']").click()
    page.locator("#chat-text").fill("Kiểm tra CSP")
    page.locator("[data-role='chat-form'] button[type=submit]").click()
    expect(page.locator("[data-role='chat-log']")).to_contain_text("Kiểm tra CSP")
    page.locator("[data-panel='people']").click()
    problems = [*page.evaluate("window.__cspViolations"), *console]
    page.goto("/hanoi/selftest/")
    page.locator("[data-action='run-all']").click()
    page.locator("[data-check='speakers'] [data-answer='yes']").click(timeout=30_000)
    for check in ("camera", "microphone", "connection"):
        expect(page.locator(f"[data-check='{check}'] [data-role='badge']")).to_have_class(
            re.compile("badge-ok"), timeout=60_000
        )
    problems += [*page.evaluate("window.__cspViolations"), *console]
    assert not problems, "\n".join(problems)


CAMERA = """async () => {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    stream.getTracks().forEach((track) => track.stop());
    return "granted";
  } catch (error) {
    return error.name;
  }
}"""


def test_only_room_pages_may_use_the_camera(page: Page) -> None:
    """Issue 10, row 9 (Permissions-Policy): Chromium (whose fake devices need no consent)
    refuses the camera and microphone on every page but the live room and the self-test."""
    sign_in(page, "admin", "/hanoi")
    for path in ("/hanoi", "/portal/", "/hanoi/calendar/", "/hanoi/equipment/"):
        page.goto(path)
        assert page.evaluate(CAMERA) == "NotAllowedError", path
    for path in ("/hanoi/live/", "/hanoi/selftest/"):
        page.goto(path)
        assert page.evaluate(CAMERA) == "granted", path
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.reload()
    assert not [m for m in messages if "Permissions-Policy" in m], messages


def test_an_injected_inline_script_does_not_run(watched: tuple[Page, list[str]]) -> None:
    """Issue 10, row 9: script that reaches a page as text (stored XSS) is refused."""
    page, _console = watched
    page.goto("/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
          const image = document.createElement("img");
          image.setAttribute("onerror", "window.__injected = true");
          image.src = "/nowhere.png";
          document.body.append(image);
        }"""
    )
    page.wait_for_timeout(500)
    assert page.evaluate("window.__injected") is None
    assert any("script-src" in v for v in page.evaluate("window.__cspViolations"))


def test_signed_in_pages_load_without_csp_violations(
    watched: tuple[Page, list[str]], objects: dict[str, Any]
) -> None:
    """Issue 10, row 9: the live room's pre-join (camera preview), the self-test, the
    scheduling pages, the reports with charts (issue 15, item 9) and the admin run under
    the enforced CSP with nothing refused."""
    page, console = watched
    sign_in(page, "admin", "/hanoi")
    paths = [
        "/hanoi/live/",
        "/hanoi/selftest/",
        "/hanoi/equipment/",
        "/calendar/",
        "/hanoi/sessions/new/",
        f"/hanoi/occurrences/{objects['occurrence']}/",
        "/hanoi/invitations/",
        "/hanoi/report/",
        f"/courses/{objects['course']}/completion/",
        f"/competitions/{objects['competition']}/results/",
        "/hanoi/recordings/",
        "/portal/review/",
        "/admin/",
        "/admin/rooms/room/",
    ]
    problems = [v for path in paths for v in _violations(page, path, console)]
    assert not problems, "\n".join(problems)


@contextmanager
def another_site(html: str) -> Iterator[str]:
    """A second origin on loopback (its own port) serving one page that frames ours."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_only_the_embeddable_player_can_be_framed(
    browser: Browser, live_url: str, objects: dict[str, Any]
) -> None:
    """Issue 10, row 9: frame-ancestors 'none' everywhere but the portal's player."""
    context = browser.new_context()
    page = context.new_page()
    embed = f"{live_url}/portal/embed/{objects['entry']}/"
    entry = f"{live_url}/portal/{objects['entry']}-{objects['slug']}/"
    html = f'<iframe src="{embed}"></iframe><iframe src="{entry}"></iframe>'
    with another_site(html) as address:
        page.goto(address)
        page.wait_for_load_state("networkidle")
        loaded = {frame.url: frame for frame in page.frames}
        assert loaded[embed].locator("video").count() == 1, "the player shows in the frame"
        assert entry not in loaded, "the entry page refused to be framed"
    context.close()
