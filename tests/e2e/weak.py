"""One Chromium page of a live room behind an impaired link (issue 13), the others clean.

How: the weak page's browser context gets an init script that wraps
``RTCPeerConnection.prototype.setRemoteDescription``. The worker's answer is handed to
the test process (``page.expose_function``), which points a ``tests.impair.UdpRelay``
at the answer's candidate and gives the page the answer rewritten to the relay
(``advertise_through``). The browser is the offerer (ICE controlling): it knows only the
relay, so every packet of both directions crosses it. The worker must not reach the
page's own candidates directly either: the server runs with
``MEET_MEDIA_ALLOWED_PEER_NETWORKS`` empty, so it refuses every loopback candidate a
page sends and only answers the checks it receives (peer-reflexive:
mediaworker/peer_addresses.py) — for the clean pages that is their direct loopback
path, for the weak page the relay's upstream socket. ``MEET_MEDIA_ICE_HOSTS=127.0.0.1``
keeps the worker's own candidates on loopback (traffic stays on this machine).

One relay per weak page, kept across reconnections: a new answer (the page's connection
restarted) re-points its upstream, and the page's new socket gets a new session. The
relays run on a background asyncio thread, because sync Playwright owns the test's.

Every page (weak or not) also records what the worker said of its link: the init script
``BANDWIDTH_SCRIPT`` keeps each ``rtc.bandwidth`` state the signaling socket brings in
``window.__meetBandwidth`` (the page itself shows nothing for it yet).

Used by tests/e2e/test_weak_links.py and bench/weaklinks.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.test_foundation import sign_in
from tests.e2e.test_live_room import CAPTURE_PEER_CONNECTIONS, JOIN_TIMEOUT_MS
from tests.impair import Counters, Impairment, UdpRelay, advertise_through, first_candidate

T = TypeVar("T")

# What the live server needs for a page to be forced through its relay (see above).
# The worker in the server's process whatever the channel layer (with REDIS_URL it would
# otherwise wait for a `meet media` of its own).
SERVER_ENV = {
    "MEET_MEDIA_ALLOWED_PEER_NETWORKS": "",
    "MEET_MEDIA_ICE_HOSTS": "127.0.0.1",
    "MEET_MEDIA_WORKER": "inprocess",
}

# Answers go through the test process before the page applies them.
RELAY_SCRIPT = """
(() => {
  const proto = window.RTCPeerConnection && window.RTCPeerConnection.prototype;
  if (!proto || proto.__meetWeak) return;
  proto.__meetWeak = true;
  const original = proto.setRemoteDescription;
  proto.setRemoteDescription = async function (description, ...rest) {
    if (description && description.type === "answer" && window.__meetWeakAnswer) {
      const sdp = await window.__meetWeakAnswer(description.sdp);
      description = { type: "answer", sdp };
    }
    return original.call(this, description, ...rest);
  };
})();
"""

# rtc.bandwidth states the worker sent this page, oldest first, with the page's clock;
# and whose name each receiving m-line carries now (rtc.tracks).
BANDWIDTH_SCRIPT = """
(() => {
  const Original = window.WebSocket;
  if (!Original || window.__meetBandwidth) return;
  window.__meetBandwidth = [];
  window.__meetSlotNames = {};
  window.WebSocket = function (...args) {
    const ws = new Original(...args);
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string" || !event.data.includes("rtc.")) return;
      try {
        const message = JSON.parse(event.data);
        if (message && message.type === "rtc.bandwidth") {
          window.__meetBandwidth.push({ state: message.state, at: performance.now() });
        }
        if (message && message.type === "rtc.tracks") {
          for (const t of message.tracks || []) window.__meetSlotNames[t.mid] = t.name || "";
        }
      } catch (e) { /* not ours to judge */ }
    });
    return ws;
  };
  window.WebSocket.prototype = Original.prototype;
  Object.setPrototypeOf(window.WebSocket, Original);
})();
"""

# Totals of the page's newest connection: inbound audio samples (in all and per m-line),
# each inbound video's frames, freezes and bytes, bytes received and sent; with the name
# of whom each m-line carries.
MEDIA_STATS = """
async () => {
  const pcs = window.__meetPeerConnections || [];
  const pc = pcs[pcs.length - 1];
  const out = { at: performance.now(), concealed: 0, samples: 0, videos: {}, audios: {},
                pcs: pcs.length, bytesIn: 0, bytesOut: 0, keyframesOut: 0, framesOut: 0,
                limited: [], sent: {}, state: pc ? pc.connectionState : "none",
                bandwidth: (window.__meetBandwidth || []).map((b) => b.state) };
  if (!pc || pc.connectionState === "closed") return out;
  const stats = await pc.getStats();
  stats.forEach((r) => {
    if (r.type === "inbound-rtp") {
      out.bytesIn += r.bytesReceived || 0;
      if (r.kind === "audio") {
        out.concealed += r.concealedSamples || 0;
        out.samples += r.totalSamplesReceived || 0;
        out.audios[r.mid || r.id] = { concealed: r.concealedSamples || 0,
          samples: r.totalSamplesReceived || 0,
          name: (window.__meetSlotNames || {})[r.mid] || "" };
      } else {
        out.videos[r.mid || r.id] = { frames: r.framesDecoded || 0,
          freeze: r.totalFreezesDuration || 0, width: r.frameWidth || 0,
          bytes: r.bytesReceived || 0, name: (window.__meetSlotNames || {})[r.mid] || "" };
      }
    }
    if (r.type === "outbound-rtp") {
      out.bytesOut += r.bytesSent || 0;
      if (r.kind === "video") {
        out.keyframesOut += r.keyFramesEncoded || 0;
        out.framesOut += r.framesEncoded || 0;
        out.sent[r.mid || r.id] = { width: r.frameWidth || 0, fps: r.framesPerSecond || 0,
          bytes: r.bytesSent || 0, limit: r.qualityLimitationReason || "" };
        if (r.qualityLimitationReason && r.qualityLimitationReason !== "none") {
          out.limited.push(r.qualityLimitationReason);
        }
      }
    }
  });
  return out;
}
"""


class RelayLoop:
    """An asyncio loop on a thread of its own, where the relays live."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run ``coroutine`` on the relays' loop and wait for its result."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def call(self, function: Callable[[], T]) -> T:
        """Call ``function`` on the relays' loop (what touches a relay must run there)."""

        async def call() -> T:
            return function()

        return self.run(call())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


@contextmanager
def relay_loop() -> Iterator[RelayLoop]:
    loop = RelayLoop()
    try:
        yield loop
    finally:
        loop.close()


@dataclass
class WeakLink:
    """The relay in front of one page: its impairments can change at any time."""

    loop: RelayLoop
    up: Impairment
    down: Impairment
    relay: UdpRelay | None = None
    answers: int = 0
    seed: int = 13
    upstreams: list[tuple[str, int]] = field(default_factory=list)

    def rewrite(self, sdp: str) -> str:
        """The worker's answer, advertising the relay instead (runs on Playwright's thread)."""
        upstream = first_candidate(sdp)
        self.upstreams.append(upstream)
        self.answers += 1
        if self.relay is None:
            relay = UdpRelay(upstream, up=self.up, down=self.down, seed=self.seed)
            self.loop.run(relay.start())
            self.relay = relay
        else:
            self.relay.upstream = upstream  # a new connection: its new socket follows it
        return advertise_through(sdp, self.relay.address)

    def counters(self) -> tuple[Counters, Counters]:
        """Copies of (up, down) counters."""
        relay = self.relay
        if relay is None:
            return Counters(), Counters()
        return self.loop.call(
            lambda: (Counters(**vars(relay.up.counters)), Counters(**vars(relay.down.counters)))
        )

    def set_rate(self, kbps: float | None) -> None:
        """Both directions' bottleneck (None: none)."""

        def change() -> None:
            self.up.rate_kbps = kbps
            self.down.rate_kbps = kbps

        self.loop.call(change)

    def cut(self) -> None:
        assert self.relay is not None
        self.loop.call(self.relay.cut)

    def restore(self) -> None:
        assert self.relay is not None
        self.loop.call(self.relay.restore)

    def close(self) -> None:
        if self.relay is not None:
            self.loop.run(self.relay.close())
            self.relay = None


def new_page(browser: Browser, base_url: str, **options: Any) -> tuple[BrowserContext, Page]:
    """A participant's own browser context, recording connections and bandwidth news."""
    context = browser.new_context(base_url=base_url, locale="vi-VN", **options)
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    context.add_init_script(BANDWIDTH_SCRIPT)
    return context, context.new_page()


def put_behind(
    context: BrowserContext, loop: RelayLoop, up: Impairment, down: Impairment, seed: int = 13
) -> WeakLink:
    """Route every connection ``context``'s pages make to the worker through a relay.

    Call before the page joins (the init script runs on the next navigation)."""
    link = WeakLink(loop=loop, up=up, down=down, seed=seed)
    context.expose_function("__meetWeakAnswer", link.rewrite)
    context.add_init_script(RELAY_SCRIPT)
    return link


def join(page: Page, username: str, slug: str = "demo") -> None:
    """Sign in, open the live room, pass the pre-join screen and wait until in."""
    sign_in(page, username, f"/{slug}/live/")
    page.locator("[data-action='join']").click()
    expect(page.locator("[data-view='room']")).to_be_visible(timeout=JOIN_TIMEOUT_MS)


def stats(page: Page) -> dict[str, Any]:
    """The page's ``MEDIA_STATS`` now."""
    return page.evaluate(MEDIA_STATS)


@dataclass(frozen=True)
class Window:
    """What a page received between two ``stats`` snapshots."""

    secs: float
    concealed_percent: float | None  # None: no audio samples arrived
    # Per inbound video, by the publisher's name (else its mid): frames a second (only
    # the videos that decoded anything) and kbit/s.
    fps: dict[str, float]
    video_kbps: dict[str, float]
    concealed_by_name: dict[str, float]  # per inbound audio's speaker (that got samples)
    freeze_secs: float  # summed over the inbound videos
    kbps_in: float
    kbps_out: float

    @property
    def min_fps(self) -> float:
        return min(self.fps.values(), default=0.0)

    @property
    def mean_fps(self) -> float:
        return sum(self.fps.values()) / len(self.fps) if self.fps else 0.0


def window(before: dict[str, Any], after: dict[str, Any]) -> Window:
    """The deltas between two snapshots of the same connection."""
    secs = max((after["at"] - before["at"]) / 1000, 1e-3)
    samples = after["samples"] - before["samples"]
    concealed = after["concealed"] - before["concealed"]
    fps: dict[str, float] = {}
    video_kbps: dict[str, float] = {}
    freeze = 0.0
    for mid, video in after["videos"].items():
        old = before["videos"].get(mid, {"frames": 0, "freeze": 0.0, "bytes": 0, "name": ""})
        freeze += max(video["freeze"] - old["freeze"], 0.0)
        if old["name"] and old["name"] != video["name"]:
            continue  # the m-line carries someone else now: its counters mix two people
        label = video["name"] or mid
        video_kbps[label] = (video["bytes"] - old["bytes"]) * 8 / secs / 1000
        frames = video["frames"] - old["frames"]
        if frames > 0:
            fps[label] = frames / secs
    by_name: dict[str, float] = {}
    for mid, audio in after["audios"].items():
        old = before["audios"].get(mid, {"concealed": 0, "samples": 0})
        got = audio["samples"] - old["samples"]
        if got > 0 and audio["name"]:
            by_name[audio["name"]] = 100 * (audio["concealed"] - old["concealed"]) / got
    return Window(
        secs=secs,
        concealed_percent=100 * concealed / samples if samples > 0 else None,
        fps=fps,
        video_kbps=video_kbps,
        concealed_by_name=by_name,
        freeze_secs=freeze,
        kbps_in=(after["bytesIn"] - before["bytesIn"]) * 8 / secs / 1000,
        kbps_out=(after["bytesOut"] - before["bytesOut"]) * 8 / secs / 1000,
    )


def measure(pages: list[Page], secs: float) -> list[Window]:
    """Each page's window over the next ``secs`` seconds."""
    before = [stats(p) for p in pages]
    pages[0].wait_for_timeout(int(secs * 1000))
    return [window(b, stats(p)) for b, p in zip(before, pages, strict=True)]


def wait_until(
    check: Callable[[], bool], page: Page, timeout_secs: float, step_ms: int = 250
) -> float | None:
    """Poll ``check`` (letting Playwright run meanwhile); seconds it took, None if never."""
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout_secs:
            return None
        page.wait_for_timeout(step_ms)


def server_log(var_dir: Path) -> str:
    path = var_dir / "server.log"
    return path.read_text(errors="replace") if path.exists() else ""
