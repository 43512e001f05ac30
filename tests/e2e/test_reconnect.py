"""Issue 13, item 5, end to end: a teacher's link (WebSocket, HTTP and media) vanishes for
20 s and comes back; the page is back in the same seat by itself — same participant in the
host's list, hand still raised, poll vote still counted, the chat and the slide page as
they are now — receiving media again, and attendance shows one continuous presence.

The teacher's page is loaded through a TCP relay (tests/impair.py ``TcpRelay``) and each
media worker answer it receives is pointed through a UDP relay (``relay_for``): cutting
both is the link going away. The time from the link's return to the first decoded frame
of the new media connection is printed (issue 13 asks for 5 s; the assertion only waits
generously)."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.e2e.conftest import serve, throwaway_database
from tests.e2e.server import meet_shell
from tests.e2e.test_foundation import sign_in
from tests.e2e.test_live_room import CAPTURE_PEER_CONNECTIONS, JOIN_TIMEOUT_MS, chat_log, send_chat
from tests.impair import TcpRelay, UdpRelay, relay_for
from tests.signaling.pdf import make_pdf

pytestmark = pytest.mark.e2e

DROP_SECS = 20.0
BACK_TIMEOUT_MS = 30_000  # generous: the issue asks for 5 s, printed below
TEACHER = "Minh Trần Văn"  # giaovien1 of the demo data

# Every answer the page receives goes through a relay the test controls, and the page's
# own candidates reach the worker neither trickled nor in the offer: the worker learns
# the page only from the relay's side (peer-reflexive), so no direct path exists for
# either side to switch to when the relay goes silent.
ROUTE_MEDIA = """
(() => {
  const proto = RTCPeerConnection.prototype;
  const setRemote = proto.setRemoteDescription;
  proto.setRemoteDescription = async function (description) {
    if (description && description.type === "answer" && window.__meetRelayAnswer) {
      description = { type: "answer", sdp: await window.__meetRelayAnswer(description.sdp) };
    }
    return setRemote.call(this, description);
  };
  const local = Object.getOwnPropertyDescriptor(proto, "localDescription").get;
  Object.defineProperty(proto, "localDescription", {
    configurable: true,
    get() {
      const description = local.call(this);
      if (!description) return description;
      const sdp = description.sdp.split("\\r\\n").filter((l) => !l.startsWith("a=candidate:"));
      return { type: description.type, sdp: sdp.join("\\r\\n") };
    },
  });
  const listen = proto.addEventListener;
  proto.addEventListener = function (type, listener, options) {
    if (type !== "icecandidate") return listen.call(this, type, listener, options);
    const onlyTheEnd = (event) => { if (!event.candidate) listener.call(this, event); };
    return listen.call(this, type, onlyTheEnd, options);
  };
})();
"""

# Video frames decoded by the page's connections made from index ``since`` on.
FRAMES_SINCE = """
async (since) => {
  let total = 0;
  for (const pc of (window.__meetPeerConnections || []).slice(since)) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    stats.forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "video") {
        total += report.framesDecoded || 0;
      }
    });
  }
  return total;
}
"""

T = TypeVar("T")


class Link:
    """The teacher's access link: a TCP relay for the page and a UDP relay per media
    connection, on an event loop of their own (Playwright's sync API holds this thread)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tcp = TcpRelay(upstream)
        self.run(self.tcp.start())
        self.udp: list[UdpRelay] = []
        self.is_cut = False

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    @property
    def url(self) -> str:
        host, port = self.tcp.address
        return f"http://{host}:{port}"

    def relay_answer(self, sdp: str) -> str:
        """The worker's answer, rewritten to reach it through a new UDP relay."""

        async def make() -> str:
            routed, relay = await relay_for(sdp)
            self.udp.append(relay)
            if self.is_cut:
                relay.cut()
            return routed

        return self.run(make())

    def cut(self, *, reset: bool) -> None:
        async def cut() -> None:
            self.is_cut = True
            self.tcp.cut(reset=reset)
            for relay in self.udp:
                relay.cut()

        self.run(cut())

    def restore(self) -> None:
        async def restore() -> None:
            self.is_cut = False
            for relay in self.udp:
                relay.restore()
            self.tcp.restore()

        self.run(restore())

    def close(self) -> None:
        async def close() -> None:
            for relay in self.udp:
                await relay.close()
            await self.tcp.close()

        self.run(close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@dataclass(frozen=True)
class Server:
    url: str
    database: str
    var_dir: Path

    def shell(self, code: str, *, answers: bool = True) -> Any:
        return meet_shell(code, database=self.database, var_dir=self.var_dir, answers=answers)


@pytest.fixture
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A meet process of its own, with the product's reconnection grace (the shared
    server's rooms let a dropped participant go at once) and its own demo room."""
    databases = throwaway_database(tmp_path_factory, "e2e_reconnect")
    database = next(databases)
    var_dir = tmp_path_factory.mktemp("e2e-reconnect-var")
    try:
        for url in serve(
            database,
            var_dir,
            MEET_MEDIA_WORKER="inprocess",  # even on Redis: one process, started with it
            MEET_LIVE_RECONNECT_GRACE_SECS="40",
        ):
            yield Server(url, database, var_dir)
    finally:
        databases.close()


@pytest.fixture
def link(server: Server) -> Iterator[Link]:
    parts = urlparse(server.url)
    assert parts.hostname and parts.port
    link = Link((parts.hostname, parts.port))
    yield link
    link.close()


@pytest.fixture
def host(browser: Browser, server: Server) -> Iterator[Page]:
    """The admin's browser, on a clean link."""
    context = browser.new_context(base_url=server.url, locale="vi-VN")
    yield context.new_page()
    context.close()


@pytest.fixture
def teacher(browser: Browser, link: Link) -> Iterator[Page]:
    """giaovien1's browser, everything through ``link``."""
    context = browser.new_context(base_url=link.url, locale="vi-VN")
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    context.add_init_script(ROUTE_MEDIA)
    context.expose_function("__meetRelayAnswer", link.relay_answer)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def occurrence(server: Server) -> int:
    """A scheduled occurrence of the demo room now, so that joins record attendance."""
    return int(server.shell(SCHEDULE_NOW))


SCHEDULE_NOW = """
import json
from datetime import timedelta
from django.utils import timezone
from rooms.models import Room, Unit
from scheduling.models import Occurrence, Session
room = Room.objects.get(slug="demo")
now = timezone.now()
session = Session.objects.create(
    kind="briefing", title="Giao ban mất mạng", host_unit=room.unit or Unit.objects.first(),
    room=room, start=now - timedelta(minutes=10), end=now + timedelta(hours=1),
)
occurrence = Occurrence.objects.create(
    session=session, room=room, original_start=session.start, start=session.start, end=session.end
)
print(json.dumps(occurrence.pk))
"""


def presence_of(server: Server, peer: str, occurrence: int) -> Any:
    """The participant row and its person's attendance of ``occurrence`` since joining."""
    code = f"""
import json
from scheduling.models import Attendance
from signaling.models import Participant
p = Participant.objects.select_related("meeting").get(peer={peer!r})
rows = list(Attendance.objects.filter(
    occurrence_id={occurrence}, name=p.name, joined_at__gte=p.joined_at
).order_by("joined_at").values_list("joined_at", "left_at"))
print(json.dumps({{"state": p.state, "joined_at": p.joined_at.isoformat(),
                   "left_at": p.left_at and p.left_at.isoformat(),
                   "attendance": [[a.isoformat(), b and b.isoformat()] for a, b in rows]}}))
"""
    return server.shell(code)


def frames_since(viewer: Page, since: int) -> int:
    return int(viewer.evaluate(FRAMES_SINCE, since))


# "reset": the page's connections die with the link (both ends see it at once);
# "silent": they stay open and carry nothing, as on a mobile link that just stops — the
# page notices through its media connection and a ping, the server maybe not at all.
@pytest.mark.parametrize("how", ["reset", "silent"])
def test_a_link_dropped_for_20_s_comes_back_in_the_same_seat_with_media(
    how: str, host: Page, teacher: Page, link: Link, server: Server, occurrence: int
) -> None:
    page = host
    sign_in(page, "admin", "/demo/live/")  # the host, on a clean link
    page.locator("[data-action='join']").click()
    expect(page.locator("[data-view='room']")).to_be_visible(timeout=JOIN_TIMEOUT_MS)
    sign_in(teacher, "giaovien1", "/demo/live/")
    teacher.locator("[data-action='join']").click()
    expect(teacher.locator("[data-view='room']")).to_be_visible(timeout=JOIN_TIMEOUT_MS)
    peer = teacher.evaluate("sessionStorage.getItem('meet.live.peer.demo')")
    assert peer
    # Media flows through the relay before the drop.
    deadline = time.monotonic() + 30
    while frames_since(teacher, 0) == 0 and time.monotonic() < deadline:
        teacher.wait_for_timeout(250)
    assert frames_since(teacher, 0) > 0, (
        "no video reached the teacher through the relay",
        teacher.evaluate("(window.__meetPeerConnections || []).map((pc) => pc.connectionState)"),
        [(relay.upstream, relay.up.counters, relay.down.counters) for relay in link.udp],
    )

    # The teacher's place: a raised hand, a vote, a chat line, slides on page 2.
    teacher.locator(".live-controls [data-action='hand']").click()
    page.locator("[data-panel='people']").click()
    expect(page.locator("[data-role='hands-list']")).to_contain_text(TEACHER)
    page.locator("[data-panel='polls']").click()
    question = f"Tuần sau họp vào thứ mấy ({how})?"
    page.fill("[data-role='poll-question']", question)
    page.fill("[data-role='poll-options']", "Thứ Hai\nThứ Tư")
    page.locator("[data-role='poll-form'] button[type=submit]").click()
    teacher.locator("[data-panel='polls']").click()
    poll = teacher.locator(".live-poll", has_text=question)
    poll.get_by_role("radio", name="Thứ Tư").check()
    poll.locator("button[type=submit]").click()
    count = page.locator(".live-poll", has_text=question).locator(".live-poll-count").nth(1)
    expect(count).to_have_text(re.compile(r"^1 \(100%\)$"))
    send_chat(teacher, "Em gửi trước khi mất mạng")
    page.locator("[data-panel='files']").click()
    page.set_input_files(
        "[data-role='slides-input']",
        files=FilePayload(
            name="bai.pdf", mimeType="application/pdf", buffer=make_pdf(["1", "2", "3"])
        ),
    )
    page.locator("[data-role='slides-form'] button[type=submit]").click()
    position = "[data-role='slides-position']"
    expect(page.locator(position)).to_have_text(re.compile(r"\b1\D+3\b"), timeout=30_000)
    page.locator("[data-action='slide-next']").click()
    expect(teacher.locator(position)).to_have_text(re.compile(r"\b2\D+3\b"))

    # The link goes away for 20 s.
    dropped = time.monotonic()
    link.cut(reset=how == "reset")
    expect(teacher.locator("[data-role='connection']")).to_have_text(
        re.compile("Đang kết nối lại"), timeout=int(DROP_SECS * 1000 * 0.75)
    )
    page.locator("[data-panel='people']").click()
    row = page.locator(f"[data-role='people-list'] .live-person[data-peer='{peer}']")
    if how == "reset":  # the server saw the socket die: the others see who is reconnecting
        expect(row.locator("[data-away]")).to_be_visible(timeout=10_000)
    send_chat(page, "Cô nói lúc thầy mất mạng")
    page.locator("[data-action='slide-next']").click()  # the host moves on meanwhile
    connections_before = int(teacher.evaluate("(window.__meetPeerConnections || []).length"))
    teacher.wait_for_timeout(max(0.0, DROP_SECS - (time.monotonic() - dropped)) * 1000)
    expect(page.locator("[data-role='people-count']")).to_have_text("(2)")  # seat kept

    # The media really went through the relays, and the cut really stopped it.
    assert any(relay.down.counters.dropped_cut for relay in link.udp), "media was not cut"
    link.restore()
    restored = time.monotonic()
    expect(teacher.locator("[data-role='connection']")).to_have_text(
        "Đã kết nối", timeout=BACK_TIMEOUT_MS
    )
    socket_back = time.monotonic() - restored
    media_back = None
    while time.monotonic() - restored < BACK_TIMEOUT_MS / 1000:
        if frames_since(teacher, connections_before) > 0:
            media_back = time.monotonic() - restored
            break
        teacher.wait_for_timeout(100)
    print(
        f"\nreconnection after a {DROP_SECS:.0f}-s {how} drop: socket back {socket_back:.2f} s, "
        f"media back {media_back if media_back is None else round(media_back, 2)} s "
        "after the link returned"
    )
    assert media_back is not None, "no video frame decoded after the link came back"
    first = frames_since(teacher, connections_before)
    teacher.wait_for_timeout(1000)
    assert frames_since(teacher, connections_before) > first  # and it keeps coming

    # The same seat, as everybody sees it.
    assert teacher.evaluate("sessionStorage.getItem('meet.live.peer.demo')") == peer
    page.locator("[data-panel='people']").click()
    expect(row).to_be_visible()
    expect(row.locator("[data-away]")).to_have_count(0)
    expect(page.locator("[data-role='people-count']")).to_have_text("(2)")
    expect(page.locator("[data-role='hands-list']")).to_contain_text(TEACHER)
    expect(teacher.locator(".live-controls [data-action='hand']")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.locator("[data-panel='polls']").click()
    expect(count).to_have_text(re.compile(r"^1 \(100%\)$"))
    teacher.locator("[data-panel='polls']").click()
    expect(poll.get_by_role("radio", name="Thứ Tư")).to_be_checked()  # its own vote shown
    teacher.locator("[data-panel='chat']").click()
    expect(chat_log(teacher)).to_contain_text("Em gửi trước khi mất mạng")
    expect(chat_log(teacher)).to_contain_text("Cô nói lúc thầy mất mạng")
    expect(teacher.locator(position)).to_have_text(re.compile(r"\b3\D+3\b"))

    # One continuous presence: never left, one attendance still open.
    seen = presence_of(server, peer, occurrence)
    assert seen["state"] == "joined" and seen["left_at"] is None, seen
    assert len(seen["attendance"]) == 1 and seen["attendance"][0][1] is None, seen
