"""End to end, a webinar from the presenter's camera to the public archive (issue 5) in
headless Chromium against the real ``meet serve`` and its media worker: a host broadcasts
with Chromium's fake camera and microphone, an anonymous viewer plays the live HLS program
(currentTime advances), the host ends the broadcast, the recording is finalised without a
transcode (the page sent H.264), the host plays the recording, an editor approves it and
an anonymous visitor plays it in the portal."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.server import live_var_dir, meet_shell
from tests.e2e.test_foundation import sign_in
from tests.e2e.test_live_room import CAPTURE_PEER_CONNECTIONS, media_worker

pytestmark = pytest.mark.e2e

__all__ = ["media_worker"]  # the fixture, imported for this module's tests

SLUG = "demo"
TITLE = "Hội thảo trực tuyến: Dạy học số lớp 6"
HOST = "chutri.hoithao"
EDITOR = "bientap.congthongtin"
JOIN_TIMEOUT_MS = 20_000
PLAY_TIMEOUT_MS = 60_000
FINALISE_TIMEOUT_SECS = 120.0

SETUP = f"""
import json
from datetime import timedelta
from django.contrib.auth.models import Group, User
from django.utils import timezone
from rooms.models import MemberRole, Room, RoomMembership, Unit
from scheduling.models import Occurrence, Session, SessionKind
room = Room.objects.get(slug={SLUG!r})
now = timezone.now()
session = Session.objects.create(
    kind=SessionKind.TRAINING, title={TITLE!r}, description="Phát trực tiếp cho giáo viên.",
    host_unit=room.unit or Unit.objects.order_by("pk").first(), room=room, broadcast=True,
    start=now - timedelta(minutes=5), end=now + timedelta(hours=2))
Occurrence.objects.create(
    session=session, room=room, original_start=session.start, start=session.start,
    end=session.end)
host, _ = User.objects.get_or_create(username={HOST!r}, defaults={{"first_name": "Thu"}})
host.set_password("demo")
host.save()
RoomMembership.objects.get_or_create(room=room, user=host, defaults={{"role": MemberRole.HOST}})
editor, _ = User.objects.get_or_create(username={EDITOR!r}, defaults={{"first_name": "Nam"}})
editor.set_password("demo")
editor.save()
editor.groups.add(Group.objects.get(name="Biên tập viên cổng thông tin"))
print(json.dumps({{"session": session.pk}}))
"""

# The demo room is shared with the other e2e modules: end the webinar so /demo/live/ is
# the live room again, and let no broadcast recording stay "live" after a failed run.
TEARDOWN = """
import os, time
from scheduling.models import Occurrence, Session
from archive.models import Recording, RecordingState
from archive.services.finished import refresh_unfinished
session = Session.objects.get(pk=int(os.environ["BROADCAST_SESSION"]))
Occurrence.objects.filter(session=session).update(cancelled=True)
Session.objects.filter(pk=session.pk).update(cancelled=True)
live = Recording.objects.filter(room=session.room, state=RecordingState.RECORDING)
deadline = time.monotonic() + 30
while live.exists() and time.monotonic() < deadline:
    refresh_unfinished()
    time.sleep(1)
live.update(state=RecordingState.FAILED, error="e2e teardown")
"""

# Whether this Chromium can encode H.264 for WebRTC (Debian's can: OpenH264).
SENDS_H264 = """
() => RTCRtpSender.getCapabilities("video").codecs.some((c) =>
  c.mimeType.toLowerCase() === "video/h264" && /packetization-mode=1/.test(c.sdpFmtpLine || ""))
"""

# What the page's camera sender encodes with, and how many frames so far.
OUTBOUND_VIDEO = """
async () => {
  for (const pc of window.__meetPeerConnections || []) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    for (const report of stats.values()) {
      if (report.type !== "outbound-rtp" || report.kind !== "video") continue;
      if (!report.framesEncoded) continue;
      const codec = report.codecId ? stats.get(report.codecId) : null;
      return { codec: codec ? codec.mimeType : "", frames: report.framesEncoded };
    }
  }
  return { codec: "", frames: 0 };
}
"""


@pytest.fixture(scope="module")
def server_var(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's MEET_VAR_DIR (recordings are under recordings/<id hex>)."""
    return live_var_dir(tmp_path_factory)


@pytest.fixture(scope="module")
def webinar(server_var: Path, server_database: str) -> Iterator[dict[str, Any]]:
    """A broadcast session of the demo room happening now, a host and an editor."""
    found = meet_shell(SETUP, database=server_database, var_dir=server_var)
    yield found
    meet_shell(
        TEARDOWN,
        database=server_database,
        var_dir=server_var,
        answers=False,
        BROADCAST_SESSION=str(found["session"]),
    )


@pytest.fixture
def contexts(browser: Browser, live_url: str) -> Iterator[list[BrowserContext]]:
    """Separate people's browsers (own cookies), closed after the test."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _person(browser: Browser, live_url: str, contexts: list[BrowserContext]) -> Page:
    context = browser.new_context(base_url=live_url, locale="vi-VN")
    contexts.append(context)
    return context.new_page()


def _outbound_video(page: Page, timeout_secs: float = 30.0) -> dict[str, Any]:
    """The camera sender's codec once it has encoded a few frames."""
    deadline = time.monotonic() + timeout_secs
    while True:
        sent: dict[str, Any] = page.evaluate(OUTBOUND_VIDEO)
        if sent["frames"] > 10 or time.monotonic() > deadline:
            return sent
        page.wait_for_timeout(250)


def _plays(page: Page, selector: str, *, past_secs: float) -> float:
    """Wait until the video's currentTime passes ``past_secs``, then advances 1 s more."""
    video = f"document.querySelector({json.dumps(selector)})"
    page.wait_for_function(f"() => {video}.currentTime > {past_secs}", timeout=PLAY_TIMEOUT_MS)
    before = float(page.evaluate(f"() => {video}.currentTime"))
    page.wait_for_function(f"() => {video}.currentTime > {before + 1}", timeout=PLAY_TIMEOUT_MS)
    return before


def _recording_when_ready(page: Page, recording: str) -> dict[str, Any]:
    """Poll the room's recordings until this one is done (the worker's recording.finished
    message, or the minute sweep, brings its row up to date: the list only reads it)."""
    deadline = time.monotonic() + FINALISE_TIMEOUT_SECS
    while True:
        listing = page.request.get(f"/{SLUG}/recordings/?format=json").json()
        found = [r for r in listing["recordings"] if r["id"] == recording]
        assert found, f"recording {recording} is not in the room's list: {listing}"
        if found[0]["state"] in ("ready", "failed") or time.monotonic() > deadline:
            return found[0]
        page.wait_for_timeout(1000)


def test_a_presenter_broadcasts_a_viewer_watches_and_the_archive_plays(
    browser: Browser,
    live_url: str,
    contexts: list[BrowserContext],
    webinar: dict[str, Any],
    server_var: Path,
    media_worker: None,
) -> None:
    # The presenter: a host of the room, in the room, in the webinar's time slot.
    presenter = _person(browser, live_url, contexts)
    presenter.context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    presenter.on("dialog", lambda dialog: dialog.accept())  # "End the broadcast?"
    sign_in(presenter, HOST, f"/{SLUG}/live/")
    expect(presenter.locator("#live")).to_have_attribute("data-broadcast-slot", "1")
    presenter.locator("[data-action='join']").click()
    expect(presenter.locator("[data-view='room']")).to_be_visible(timeout=JOIN_TIMEOUT_MS)
    sent = _outbound_video(presenter)
    assert sent["frames"] > 10, "the presenter's camera sent nothing"
    # In a broadcast slot the page publishes H.264 when the browser can encode it (the
    # recorder then copies it), else VP8 (which the recorder transcodes once).
    h264 = bool(presenter.evaluate(SENDS_H264))
    assert sent["codec"].lower() == ("video/h264" if h264 else "video/vp8"), sent

    button = presenter.locator("[data-role='host-controls'] [data-action='record']")
    expect(button).to_have_text("Bắt đầu phát trực tiếp")
    started = time.monotonic()
    with presenter.expect_response(f"**/{SLUG}/recordings/start") as answer:
        button.click()
    assert answer.value.status == 201, answer.value.text()
    recording = answer.value.json()["id"]
    assert answer.value.json()["kind"] == "broadcast"
    expect(presenter.locator("[data-role='recording-badge']")).to_be_visible(timeout=15_000)
    expect(button).to_have_text("Kết thúc phát trực tiếp")

    # An anonymous viewer opens the same address and gets the public watch page.
    viewer = _person(browser, live_url, contexts)
    viewer.goto(f"/{SLUG}/live/")
    expect(viewer.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(viewer.locator("#watch-status")).to_have_text("Đang phát trực tiếp")
    # By default it watches with low delay: WebRTC from the media worker, no re-encoding.
    _plays(viewer, "#watch-video", past_secs=1)
    live_after_secs = time.monotonic() - started
    expect(viewer.locator("#watch-video")).to_have_attribute("data-mode", "webrtc")
    expect(viewer.locator("#watch-mode-note")).to_have_text("Đang xem với độ trễ thấp.")
    size = viewer.locator("#watch-video").evaluate("v => [v.videoWidth, v.videoHeight]")
    assert size[0] > 0 and size[1] > 0, size
    assert viewer.locator("audio").count() == 3  # the presenters' voices, one slot each
    # On a poor network the viewer chooses the steady stream: HLS, a few seconds behind.
    viewer.get_by_label("Ổn định (cho mạng chậm)").check()
    expect(viewer.locator("#watch-video")).to_have_attribute("data-mode", "hls")
    expect(viewer.locator("#watch-mode-note")).to_contain_text("luồng ổn định")
    assert viewer.locator("audio").count() == 0
    _plays(viewer, "#watch-video", past_secs=0.5)
    assert viewer.locator("#watch-video").evaluate("v => v.videoWidth") == size[0]

    # The presenter ends the broadcast; the worker finalises the recording.
    stopped = time.monotonic()
    with presenter.expect_response(f"**/{SLUG}/recordings/{recording}/stop") as answer:
        button.click()
    assert answer.value.status == 200, answer.value.text()
    expect(presenter.locator("[data-role='recording-badge']")).to_be_hidden(timeout=15_000)
    done = _recording_when_ready(presenter, recording)
    finalised_after_secs = time.monotonic() - stopped
    assert done["state"] == "ready", done
    assert done["duration"] > 2, done
    status = json.loads((server_var / "recordings" / recording / "status.json").read_text())
    assert status["transcoded"] is not h264, status  # H.264 is copied, never re-encoded

    # The host plays the recording on its page.
    presenter.goto(done["url"])
    presenter.locator("video.portal-video").evaluate("v => { v.muted = true; return v.play(); }")
    _plays(presenter, "video.portal-video", past_secs=0.5)

    # An editor approves the archive entry; anyone can then play it in the portal.
    editor = _person(browser, live_url, contexts)
    sign_in(editor, EDITOR, "/portal/review/")
    editor.get_by_role("link", name=TITLE).click()
    editor.get_by_role("button", name="Duyệt và xuất bản").click()
    viewer.goto("/portal/")
    viewer.get_by_role("link", name=TITLE).first.click()
    expect(viewer.get_by_role("heading", level=1)).to_have_text(TITLE)
    viewer.locator("#portal-video").evaluate("v => { v.muted = true; return v.play(); }")
    _plays(viewer, "#portal-video", past_secs=0.5)
    assert viewer.locator("#portal-video").evaluate("v => v.videoWidth") == size[0]

    print(
        f"\nbroadcast: live (WebRTC) playing {live_after_secs:.1f} s after Start, "
        f"finalised {finalised_after_secs:.1f} s after End, {done['duration']:.1f} s recorded, "
        f"{status.get('width', '?')}×{status.get('height', '?')}, transcoded={status['transcoded']}"
    )
