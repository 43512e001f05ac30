"""End to end, layers (issue 13): each Chromium page publishes its camera twice (640×360
and, on the "camera-low" m-line, 320×180 at ≤150 kbit/s); a page whose tile of the other
person is small receives the low layer, a page that shows it large the high one, and
the layer nobody receives is paused at the sender (no upload spent on it)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.test_live_room import CAPTURE_PEER_CONNECTIONS, join_as_member
from tests.e2e.test_live_room import media_worker as media_worker  # noqa: F401 (fixture)

pytestmark = pytest.mark.e2e

# The mids of the page's camera m-lines, from the offer's order (media.js: mic, camera,
# screen, then the low layers camera-low and screen-low).
CAMERA_MIDS = """
() => {
  const pcs = window.__meetPeerConnections || [];
  const pc = pcs[pcs.length - 1];
  if (!pc) return null;
  const sending = pc.getTransceivers().filter((t) => t.direction === "sendonly");
  return { camera: sending[1]?.mid, "camera-low": sending[3]?.mid };
}
"""

# Width of the newest inbound video that decodes, and what each outbound m-line sends.
VIDEO_STATS = """
async () => {
  const pcs = window.__meetPeerConnections || [];
  const pc = pcs[pcs.length - 1];
  if (!pc) return null;
  const stats = await pc.getStats();
  const inbound = [];
  const outbound = [];
  stats.forEach((report) => {
    if (report.type === "inbound-rtp" && report.kind === "video" && report.framesDecoded) {
      inbound.push({ width: report.frameWidth || 0, frames: report.framesDecoded });
    }
    if (report.type === "outbound-rtp" && report.kind === "video") {
      outbound.push({ mid: report.mid, width: report.frameWidth || 0,
                      bytes: report.bytesSent || 0, active: report.active });
    }
  });
  return { inbound, outbound };
}
"""


@pytest.fixture
def sharp(browser: Browser, live_url: str) -> Iterator[Page]:
    """A laptop with a sharp screen: tiles of ~330 CSS px are ~660 device px wide."""
    context = browser.new_context(
        base_url=live_url,
        locale="vi-VN",
        viewport={"width": 1280, "height": 800},
        device_scale_factor=2,
    )
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def small(browser: Browser, live_url: str) -> Iterator[Page]:
    """A phone-sized page whose tiles are small (360 px wide, one device pixel each)."""
    context = browser.new_context(
        base_url=live_url, locale="vi-VN", viewport={"width": 360, "height": 740}
    )
    context.add_init_script(CAPTURE_PEER_CONNECTIONS)
    page = context.new_page()
    yield page
    context.close()


def layers_sent(sender: Page, secs: float = 2.0) -> dict[str, int]:
    """Bytes the camera's high ("camera") and low ("camera-low") m-lines sent in ``secs``."""
    mids = sender.evaluate(CAMERA_MIDS)

    def sent() -> dict[str, int]:
        out = (sender.evaluate(VIDEO_STATS) or {}).get("outbound") or []
        return {o["mid"]: o["bytes"] for o in out}

    before = sent()
    sender.wait_for_timeout(int(secs * 1000))
    after = sent()
    return {layer: after.get(mid, 0) - before.get(mid, 0) for layer, mid in (mids or {}).items()}


def sends_only(sender: Page, layer: str, timeout_secs: float = 30.0) -> dict[str, int]:
    """Poll until ``sender`` sends its camera's ``layer`` and not the other one."""
    other = "camera-low" if layer == "camera" else "camera"
    deadline = time.monotonic() + timeout_secs
    while True:
        sent = layers_sent(sender)
        if sent.get(layer, 0) > 5_000 and sent.get(other, 0) < 2_000:
            return sent
        if time.monotonic() > deadline:
            return sent


def test_a_small_tile_gets_the_low_layer_and_a_large_one_the_high(
    sharp: Page, small: Page, media_worker: None
) -> None:
    join_as_member(sharp, "admin")
    join_as_member(small, "giaovien1")
    # Each page sends only the layer the other one receives (the worker pauses the
    # other at the sender): the phone shows the laptop in a small tile, so the laptop
    # sends its low layer; the laptop shows the phone large, so the phone its high one.
    sent = sends_only(sharp, "camera-low")
    assert sent["camera-low"] > 5_000 and sent["camera"] < 2_000, sent
    sent = sends_only(small, "camera")
    assert sent["camera"] > 5_000 and sent["camera-low"] < 2_000, sent
    # And the pages decode what arrives.
    for viewer in (sharp, small):
        inbound = (viewer.evaluate(VIDEO_STATS) or {}).get("inbound") or []
        assert inbound and inbound[0]["frames"] > 0, inbound
