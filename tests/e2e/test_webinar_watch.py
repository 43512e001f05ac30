"""End to end, the public watch page (issue 5) in headless Chromium: an anonymous viewer
plays a live HLS broadcast (currentTime advances) while PyAV writes it segment by segment,
sees it end; a viewer's question reaches the host's panel and, once approved, another
viewer on a phone."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.server import live_var_dir, meet_shell
from tests.e2e.test_foundation import sign_in

pytestmark = pytest.mark.e2e

FPS = 25
SIZE = (320, 180)
BROADCAST_SECS = 20
PLAY_TIMEOUT_MS = 40_000

SETUP = """
import json
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from rooms.models import MemberRole, Room, RoomMembership
from scheduling.models import Occurrence, Session, SessionKind
from archive.models import Recording, RecordingKind
room = (Room.objects.exclude(slug__in=["demo", "hanoi"]).exclude(unit=None)
        .order_by("slug").first())
now = timezone.now()
session = Session.objects.create(
    kind=SessionKind.TRAINING, title="Tập huấn chuyển đổi số cho giáo viên",
    description="Phần 1: Kho học liệu số.", host_unit=room.unit, room=room, broadcast=True,
    start=now - timedelta(minutes=5), end=now + timedelta(hours=2))
occurrence = Occurrence.objects.create(
    session=session, room=room, original_start=session.start, start=session.start,
    end=session.end)
recording = Recording.objects.create(
    room=room, occurrence=occurrence, kind=RecordingKind.BROADCAST, started_at=now)
host, _ = User.objects.get_or_create(username="webinar-host", defaults={"first_name": "Lan"})
host.set_password("demo")
host.save()
RoomMembership.objects.get_or_create(room=room, user=host, defaults={"role": MemberRole.HOST})
print(json.dumps({"slug": room.slug, "recording": recording.pk.hex}))
"""


class LiveHls:
    """A presenter's program as the recorder writes it: H.264 + AAC fMP4 HLS, in real time."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hls = directory / "hls"
        self.hls.mkdir(parents=True)
        self.thread = threading.Thread(target=self._write, daemon=True)
        self.failure: BaseException | None = None

    def start(self) -> None:
        self.thread.start()

    def wait_for_segments(self, count: int, timeout_secs: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_secs
        while time.monotonic() < deadline:
            if len(list(self.hls.glob("seg-*.m4s"))) >= count:
                return
            time.sleep(0.1)
        raise AssertionError(f"no {count} segments in {self.hls}: {self.failure!r}")

    def _write(self) -> None:
        try:
            self._encode()
        except BaseException as failure:  # reported by the test
            self.failure = failure

    def _encode(self) -> None:
        width, height = SIZE
        options = {
            "hls_time": "1",
            "hls_list_size": "0",
            "hls_playlist_type": "event",
            "hls_segment_type": "fmp4",
            "hls_fmp4_init_filename": "init.mp4",
            "hls_segment_filename": str(self.hls / "seg-%05d.m4s"),
            "start_number": "1",
            "hls_flags": "temp_file",
        }
        started = time.monotonic()
        with av.open(str(self.hls / "index.m3u8"), "w", format="hls", options=options) as out:
            video = out.add_stream("libx264", rate=FPS)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(FPS)}
            audio = out.add_stream("aac", rate=48000)
            audio.layout = "mono"
            samples = 0
            for index in range(BROADCAST_SECS * FPS):
                picture = np.full((height, width, 3), (index * 5) % 255, dtype=np.uint8)
                frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
                frame.pts, frame.time_base = index, Fraction(1, FPS)
                out.mux(video.encode(frame))
                while samples < (index + 1) * 48000 // FPS:
                    tone = (np.sin(np.arange(1024) * 0.05) * 0.2).astype(np.float32)
                    sound = av.AudioFrame.from_ndarray(
                        tone.reshape(1, -1), format="flt", layout="mono"
                    )
                    sound.sample_rate, sound.pts = 48000, samples
                    out.mux(audio.encode(sound))
                    samples += 1024
                # Real time, as a presenter sends it.
                time.sleep(max(0.0, started + (index + 1) / FPS - time.monotonic()))
            out.mux(video.encode(None))
            out.mux(audio.encode(None))


@pytest.fixture(scope="module")
def webinar(live_url: str, server_database: str, tmp_path_factory) -> Iterator[dict[str, str]]:
    """A room broadcasting now in the live server, with its HLS program being written."""
    found = meet_shell(SETUP, database=server_database, var_dir=live_var_dir(tmp_path_factory))
    producer = LiveHls(tmp_path_factory.mktemp("webinar-hls") / found["recording"])
    producer.start()
    producer.wait_for_segments(2)
    yield {**found, "hls": str(producer.hls)}
    producer.thread.join(timeout=BROADCAST_SECS + 30)


def serve_hls(page: Page, webinar: dict[str, str]) -> None:
    """Answer /hls/<id>/<file> from the directory being written, as static files are.

    The page's HLS requests are answered here rather than by the server, so this test
    checks the page and the player against a live program whatever serves the files.
    """
    folder = Path(webinar["hls"])
    types = {".m3u8": "application/vnd.apple.mpegurl", ".mp4": "video/mp4", ".m4s": "video/mp4"}

    def answer(route: Route) -> None:
        name = route.request.url.rsplit("/", 1)[-1].split("?")[0]
        path = folder / name
        if "/" in name or not path.is_file():
            route.fulfill(status=404, body="")
            return
        headers = {"Cache-Control": "no-cache" if name.endswith(".m3u8") else "max-age=3600"}
        route.fulfill(
            status=200, body=path.read_bytes(), content_type=types[path.suffix], headers=headers
        )

    page.route(f"**/hls/{webinar['recording']}/*", answer)


def playing_time(page: Page) -> float:
    return float(page.locator("#watch-video").evaluate("v => v.currentTime"))


def test_an_anonymous_viewer_plays_the_live_broadcast_to_its_end(
    page: Page, webinar: dict[str, str]
) -> None:
    serve_hls(page, webinar)
    page.goto(f"/{webinar['slug']}/live/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Tập huấn chuyển đổi số cho giáo viên"
    )
    expect(page.locator("#watch-status")).to_have_text("Đang phát trực tiếp")
    page.wait_for_function(
        "() => document.getElementById('watch-video').currentTime > 1", timeout=PLAY_TIMEOUT_MS
    )
    before = playing_time(page)
    page.wait_for_function(
        f"() => document.getElementById('watch-video').currentTime > {before + 1}",
        timeout=PLAY_TIMEOUT_MS,
    )
    assert page.locator("#watch-video").evaluate("v => v.videoWidth") == SIZE[0]
    expect(page.locator("#watch-viewers")).to_contain_text("người đang xem")
    # The sound button is labelled and toggles.
    page.get_by_role("button", name="Bật tiếng").click()
    expect(page.get_by_role("button", name="Tắt tiếng")).to_have_attribute("aria-pressed", "true")
    # The program ends (ENDLIST): the page says so.
    expect(page.locator("#watch-status")).to_have_text(
        "Đã kết thúc", timeout=(BROADCAST_SECS + 20) * 1000
    )


def test_a_question_reaches_the_host_and_once_approved_another_viewer(
    browser: Browser, live_url: str, page: Page, phone: Page, webinar: dict[str, str]
) -> None:
    host_context = browser.new_context(base_url=live_url, locale="vi-VN")
    host = host_context.new_page()
    try:
        sign_in(host, "webinar-host", f"/{webinar['slug']}/live/questions/")
        expect(host.locator("#qa-pending-empty")).to_be_visible()

        page.goto(f"/{webinar['slug']}/live/")
        phone.goto(f"/{webinar['slug']}/live/")
        expect(phone.locator("#qa-empty")).to_be_visible()

        page.get_by_label("Tên của bạn").fill("Thầy Minh")
        page.get_by_label("Câu hỏi của bạn").fill("Tài liệu <b>buổi 2</b> ở đâu?")
        page.get_by_role("button", name="Gửi câu hỏi").click()
        expect(page.locator("#qa-feedback")).to_contain_text("đang chờ chủ trì duyệt")

        pending = host.locator("#qa-pending li")
        expect(pending).to_have_count(1)
        expect(pending.locator(".qa-text")).to_have_text("Tài liệu <b>buổi 2</b> ở đâu?")
        expect(phone.locator("#qa-list li")).to_have_count(0)  # not approved yet

        pending.get_by_role("button", name="Duyệt").click()
        shown = phone.locator("#qa-list li")
        expect(shown).to_have_count(1)
        expect(shown.locator(".qa-text")).to_have_text("Tài liệu <b>buổi 2</b> ở đâu?")
        expect(shown).to_contain_text("Thầy Minh")
        assert phone.locator("#qa-list b").count() == 0  # shown as text, never as HTML
        expect(host.locator("#qa-public li")).to_have_count(1)
    finally:
        host_context.close()
