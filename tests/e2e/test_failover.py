"""Issue 14, item 5, end to end: the room's media worker is killed under Chromium pages.

A meet process on Redis with two standalone ``meet media`` workers. The admin and a
teacher join /demo in headless Chromium (fake camera and microphone) and decode each
other's video; the worker serving the room is SIGKILLed. Each page hears ``media.moved``
and restarts its media connection by itself (static/js/room/main.js →
``MediaSession.restart``): a new ``RTCPeerConnection`` decodes video again, now from the
other worker, and the chat line sent before is still there. The time from the kill to
the first frame decoded on the new connections is printed (the issue asks for 10 s;
bench/failover.py measures it, the assertion only waits generously). Then the same for
a webinar: its anonymous viewer's watch page plays the program again over WebRTC, and the
broadcast recording goes on in its next part (``Recording.continues``).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from bench.worker import start_worker
from placement.store import DEFAULT_PREFIX
from tests.e2e.conftest import serve, throwaway_database
from tests.e2e.server import meet_shell
from tests.e2e.test_broadcast import HOST, SETUP, SLUG, _plays
from tests.e2e.test_foundation import sign_in
from tests.e2e.test_live_room import (
    CAPTURE_PEER_CONNECTIONS,
    chat_log,
    join_as_member,
    send_chat,
)
from tests.e2e.test_reconnect import frames_since
from tests.mediaworker.test_redis_worker import redis_url  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.services]

WORKERS = ("east-1", "west-1")
BACK_TIMEOUT_SECS = 40.0  # generous: the issue asks for 10 s, printed below
FIRST_MEDIA_TIMEOUT_SECS = 30.0


@dataclass
class Site:
    url: str
    workers: dict[str, subprocess.Popen[str]]
    redis_url: str
    database: str
    var_dir: Path


@pytest.fixture
def site(
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,  # noqa: F811 - the fixture
) -> Iterator[Site]:
    """A meet process whose rooms are placed on two standalone workers."""
    databases = throwaway_database(tmp_path_factory, "e2e_failover")
    database = next(databases)
    var_dir = tmp_path_factory.mktemp("e2e-failover-var")
    # The workers record under the web side's MEET_RECORDINGS_ROOT, as the compose file's
    # shared volume has it (a worker refuses a recording folder outside its own root).
    recordings = str(var_dir / "recordings")
    workers = {
        name: start_worker(redis_url, MEET_MEDIA_WORKER_ID=name, MEET_RECORDINGS_DIR=recordings)
        for name in WORKERS
    }
    try:
        for url in serve(
            database,
            var_dir,
            REDIS_URL=redis_url,
            MEET_MEDIA_WORKER="external",
            MEET_LIVE_RECONNECT_GRACE_SECS="0",
        ):
            yield Site(url, workers, redis_url, database, var_dir)
    finally:
        for worker in workers.values():
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        databases.close()


def room_worker(address: str, room: str = "demo") -> str:
    """The one worker the demo room books its members on (placement's room hash)."""
    client = redis.Redis.from_url(address)
    try:
        fields = client.hgetall(f"{DEFAULT_PREFIX}:room:{room}")
    finally:
        client.close()
    names = [key.decode() if isinstance(key, bytes) else str(key) for key in fields]
    workers = [name for name in names if not name.startswith("n:")]
    assert len(workers) == 1, fields
    return workers[0]


def decodes_after(page: Page, since: int, deadline: float) -> bool:
    """Whether ``page`` decodes video on connections made from index ``since`` on."""
    while time.monotonic() < deadline:
        if frames_since(page, since) > 0:
            return True
        page.wait_for_timeout(100)
    return False


def test_the_pages_reconnect_to_the_other_worker_when_theirs_is_killed(
    browser: Browser, site: Site
) -> None:
    pages = []
    for username in ("admin", "giaovien1"):
        context = browser.new_context(base_url=site.url, locale="vi-VN")
        page = context.new_page()
        join_as_member(page, username)
        pages.append(page)
    host, teacher = pages
    deadline = time.monotonic() + FIRST_MEDIA_TIMEOUT_SECS
    assert all(decodes_after(page, 0, deadline) for page in pages), "no video before the kill"
    send_chat(teacher, "Em gửi trước khi máy chủ media dừng")
    expect(chat_log(host)).to_contain_text("Em gửi trước khi máy chủ media dừng")

    killed = room_worker(site.redis_url)
    before = [int(page.evaluate("window.__meetPeerConnections.length")) for page in pages]
    killed_at = time.monotonic()
    site.workers[killed].send_signal(signal.SIGKILL)
    site.workers[killed].wait(timeout=10)

    deadline = killed_at + BACK_TIMEOUT_SECS
    for page, since in zip(pages, before, strict=True):
        assert decodes_after(page, since, deadline), page.evaluate(
            "window.__meetPeerConnections.map((pc) => pc.connectionState)"
        )
    print(f"\nkill → video decoded again on both pages: {time.monotonic() - killed_at:.2f} s")
    assert room_worker(site.redis_url) != killed
    # The page did not reload: the chat is as it was, the room view still shown.
    for page in pages:
        expect(chat_log(page)).to_contain_text("Em gửi trước khi máy chủ media dừng")
        expect(page.locator("[data-view='room']")).to_be_visible()
    for page in pages:
        page.context.close()


def test_a_webinar_goes_on_for_its_viewer_and_in_its_recording_when_the_worker_dies(
    browser: Browser, site: Site
) -> None:
    """The public watch page hears ``media.moved`` and plays the program again over
    WebRTC from the other worker; the broadcast recording goes on in its next part."""
    meet_shell(SETUP, database=site.database, var_dir=site.var_dir)
    contexts = [browser.new_context(base_url=site.url, locale="vi-VN") for _ in range(2)]
    for context in contexts:
        context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    presenter, viewer = (context.new_page() for context in contexts)
    sign_in(presenter, HOST, f"/{SLUG}/live/")
    presenter.locator("[data-action='join']").click()
    expect(presenter.locator("[data-view='room']")).to_be_visible(timeout=20_000)
    button = presenter.locator("[data-role='host-controls'] [data-action='record']")
    with presenter.expect_response(f"**/{SLUG}/recordings/start") as answer:
        button.click()
    assert answer.value.status == 201, answer.value.text()
    first = answer.value.json()["id"]

    viewer.goto(f"/{SLUG}/live/")
    expect(viewer.locator("#watch-status")).to_have_text("Đang phát trực tiếp")
    _plays(viewer, "#watch-video", past_secs=1)
    expect(viewer.locator("#watch-video")).to_have_attribute("data-mode", "webrtc")

    killed = room_worker(site.redis_url, SLUG)
    since = int(viewer.evaluate("window.__meetPeerConnections.length"))
    killed_at = time.monotonic()
    site.workers[killed].send_signal(signal.SIGKILL)
    site.workers[killed].wait(timeout=10)

    deadline = killed_at + BACK_TIMEOUT_SECS
    assert decodes_after(viewer, since, deadline), viewer.evaluate(
        "window.__meetPeerConnections.map((pc) => pc.connectionState)"
    )
    print(f"\nkill → the viewer decodes the program again: {time.monotonic() - killed_at:.2f} s")
    assert room_worker(site.redis_url, SLUG) != killed
    expect(viewer.locator("#watch-video")).to_have_attribute("data-mode", "webrtc")
    expect(viewer.locator("#watch-status")).to_have_text("Đang phát trực tiếp")

    # The recording goes on in its next part, on the worker the room moved to.
    while True:
        listing = presenter.request.get(f"/{SLUG}/recordings/?format=json").json()
        parts = {r["id"]: r for r in listing["recordings"]}
        following = [r for r in parts.values() if r["continues"] == first]
        if following or time.monotonic() > deadline:
            break
        presenter.wait_for_timeout(500)
    assert following, listing
    assert following[0]["state"] == "recording" and following[0]["kind"] == "broadcast"
    for context in contexts:
        context.close()
