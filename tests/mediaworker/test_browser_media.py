"""static/js/room/media.js in headless Chromium against the real media worker.

The test stands in for the consumer: what the page's ``send`` callback gives is wrapped
in wire messages for the worker, and what the worker answers is handed to
``MediaSession.handle`` — the contract the room UI wires to its WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mediaworker.wire import MEDIA_WORKER_CHANNEL, to_worker_control, to_worker_signal
from tests.conftest import ROOT, missing_service
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

ORIGIN = "http://localhost"  # a secure context for getUserMedia, served by page.route
PAGE = """<!doctype html><meta charset="utf-8"><title>media</title>
<script type="module">
import { MediaSession } from "/static/js/room/media.js";
window.events = [];
const media = new MediaSession({
  send: (message) => window.toWorker(JSON.stringify(message)),
  slots: { audio: 2, camera: 2, screen: 1 },
});
window.media = media;
for (const type of ["track-added", "track-removed", "connection-state", "muted", "error"]) {
  media.addEventListener(type, ({ detail }) => window.events.push({
    type, peer: detail.peer, source: detail.source, state: detail.state,
    message: detail.message,
  }));
}
window.ready = true;
</script>"""

INBOUND_VIDEO = """async () => {
  const stats = await window.media._pc.getStats();
  const inbound = [...stats.values()].filter((s) => s.type === "inbound-rtp" && s.kind === "video");
  return inbound.map((s) => ({ frames: s.framesDecoded || 0, width: s.frameWidth || 0 }));
}"""


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        missing_service(f"Chromium ({CHROMIUM})")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


class BrowserPeer:
    """The page's MediaSession, relayed to the worker as a consumer would."""

    def __init__(self, page: Any, layer: Any, room: str, peer: str) -> None:
        self.page, self.layer, self.room, self.peer = page, layer, room, peer
        self.reply = ""
        self.task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.reply = await self.layer.new_channel()
        script = (ROOT / "static/js/room/media.js").read_text()

        async def serve(route: Any) -> None:
            if route.request.url.endswith("/static/js/room/media.js"):
                await route.fulfill(body=script, content_type="text/javascript")
            else:
                await route.fulfill(body=PAGE, content_type="text/html")

        await self.page.route(f"{ORIGIN}/**", serve)
        await self.page.expose_function("toWorker", self._to_worker)
        await self.page.goto(f"{ORIGIN}/room")
        await self.page.wait_for_function("window.ready === true")
        self.task = asyncio.ensure_future(self._from_worker())

    async def _to_worker(self, text: str) -> None:
        message = to_worker_signal(
            room=self.room,
            peer=self.peer,
            reply=self.reply,
            name="Chromium",
            signal=json.loads(text),
        )
        await self.layer.send(MEDIA_WORKER_CHANNEL, message)

    async def _from_worker(self) -> None:
        while True:
            message = await self.layer.receive(self.reply)
            if message["type"] == "media.signal":
                await self.page.evaluate("m => window.media.handle(m)", message["signal"])

    async def events(self) -> list[dict[str, Any]]:
        return list(await self.page.evaluate("window.events"))

    async def wait_for_event(self, **fields: Any) -> None:
        for _ in range(200):
            if any(all(e.get(k) == v for k, v in fields.items()) for e in await self.events()):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no event {fields}: {await self.events()}")

    async def close(self) -> None:
        message = to_worker_control(
            room=self.room, peer=self.peer, reply=self.reply, action="leave"
        )
        await self.layer.send(MEDIA_WORKER_CHANNEL, message)
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def test_media_session_publishes_and_receives_through_the_worker(
    chromium: Any, layer: Any, participant: Any
) -> None:
    context = await chromium.new_context()
    page = await context.new_page()
    browser_peer = BrowserPeer(page, layer, room="r", peer="browser")
    a = participant("a", camera=(160, 120))
    try:
        await browser_peer.open()
        await a.join()
        await page.evaluate("window.media.start({ mic: true, camera: true })")
        await browser_peer.wait_for_event(type="connection-state", state="connected")

        # The browser decodes a's camera, forwarded without re-encoding.
        await browser_peer.wait_for_event(type="track-added", peer="a", source="camera")
        for _ in range(100):
            inbound = await page.evaluate(INBOUND_VIDEO)
            if any(s["frames"] >= 5 and s["width"] == 160 for s in inbound):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"no frames from a in the browser: {inbound}")

        # a decodes the browser's camera and microphone (VP8 and Opus from Chromium).
        await a.wait_for(a.receives(["browser"]))
        width, height = a.received[("browser", "camera")].sizes[-1]
        assert width > 0 and height > 0

        # Camera off and on again: replaceTrack + rtc.tracks, no renegotiation.
        await page.evaluate("window.media.setCamera(false)")
        await a.wait_for(lambda: a.slot_of("browser", "camera") is None)
        frames = a.frames_from("browser")
        await page.evaluate("window.media.setCamera(true)")
        await a.wait_for(lambda: a.frames_from("browser") >= frames + 5)

        # A host mutes the browser: the module turns its microphone off by itself.
        await a.control("mute_audio", target="browser")
        await browser_peer.wait_for_event(type="muted", source="mic")
        assert await page.evaluate("window.media.mic") is False
        await a.wait_for(lambda: a.slot_of("browser", "mic") is None)

        # a leaves: the browser's slot empties.
        await a.close()
        await browser_peer.wait_for_event(type="track-removed", peer="a", source="camera")
        assert not [e for e in await browser_peer.events() if e["type"] == "error"]
    finally:
        await browser_peer.close()
        await context.close()
