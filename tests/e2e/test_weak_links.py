"""End to end, weak links (issue 13): one Chromium page of /demo behind an impaired
link (tests/e2e/weak.py: a UdpRelay both ways), the others clean.

- A weak subscriber (500 kbit/s, 2 % loss, 150 ms each way) hears the room (under 5 %
  of its audio concealed over 60 s), sees video at 10 fps or more or was told to go
  audio-only, and the clean pages receive what they received before it came.
- A weak publisher (300 kbit/s uplink) is heard by the others (under 5 % concealed).

Every page is 640×480 at one device pixel: all tiles are small, so everyone receives
the low layers (the high ones are paused at the publishers) and the tile size does not
change when the weak page joins. Two clean pages, not three: on this two-core machine
shared with other runs (load 13-15), three clean pages alone got 12.9-13.6 fps of the
low layer's 15 and froze 2.6-3.7 s per 10 s, two got 13.8-14.4 fps and 0.4-1.7 s.
Figures (and the high layers) are in bench/weaklinks.py; here only generous thresholds.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.conftest import serve, throwaway_database
from tests.e2e.weak import (
    SERVER_ENV,
    RelayLoop,
    WeakLink,
    join,
    measure,
    new_page,
    put_behind,
    relay_loop,
    stats,
    wait_until,
)
from tests.impair import Impairment

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 640, "height": 480}
CLEAN = ("admin", "giaovien1")
WEAK = "quanly.hanoi"
WEAK_NAME = "Lan Nguyễn Thị"  # as rtc.tracks names them (rooms/services/demo.py)
SETTLE_SECS = 10
WEAK_SECS = 60
BASELINE_SECS = 20


@pytest.fixture(scope="module")
def weak_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server whose worker only answers checks (so a relay cannot be bypassed)."""
    for database in throwaway_database(tmp_path_factory, "weak"):
        yield from serve(database, tmp_path_factory.mktemp("weak-var"), **SERVER_ENV)


@pytest.fixture
def relays() -> Iterator[RelayLoop]:
    with relay_loop() as loop:
        yield loop


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def _open(browser: Browser, url: str, contexts: list[BrowserContext]) -> Page:
    context, page = new_page(browser, url, viewport=VIEWPORT)
    contexts.append(context)
    return page


def _weak(
    browser: Browser,
    url: str,
    contexts: list[BrowserContext],
    relays: RelayLoop,
    up: Impairment,
    down: Impairment,
) -> tuple[Page, WeakLink]:
    page = _open(browser, url, contexts)
    return page, put_behind(page.context, relays, up, down)


def _through_relay(link: WeakLink, page: Page) -> None:
    """The weak page's media crosses the relay both ways (no direct path)."""

    def flowing() -> bool:
        up, down = link.counters()
        return up.bytes_forwarded > 50_000 and down.bytes_forwarded > 50_000

    assert wait_until(flowing, page, 30) is not None, link.counters()
    _, down = link.counters()
    received = stats(page)["bytesIn"]
    # What the page received all came through the relay (SRTP is inside UDP payloads).
    assert received <= down.bytes_forwarded, (received, down)


def test_a_weak_subscriber_hears_the_room_and_the_others_do_not_notice(
    browser: Browser, weak_url: str, relays: RelayLoop, contexts: list[BrowserContext]
) -> None:
    clean = [_open(browser, weak_url, contexts) for _ in CLEAN]
    for page, username in zip(clean, CLEAN, strict=True):
        join(page, username)
    assert wait_until(
        lambda: all(len(stats(p)["videos"]) >= len(CLEAN) - 1 for p in clean), clean[0], 30
    )
    clean[0].wait_for_timeout(SETTLE_SECS * 1000 // 2)
    before = measure(clean, BASELINE_SECS)

    link_settings = dict(rate_kbps=500, loss_percent=2, delay_ms=150)
    weak, link = _weak(
        browser,
        weak_url,
        contexts,
        relays,
        Impairment(**link_settings),
        Impairment(**link_settings),
    )
    join(weak, WEAK)
    _through_relay(link, weak)
    weak.wait_for_timeout(SETTLE_SECS * 1000)
    *after, seen = measure([*clean, weak], WEAK_SECS)

    told = stats(weak)["bandwidth"]
    assert seen.concealed_percent is not None and seen.concealed_percent < 5, (seen, told)
    assert seen.min_fps >= 10 or (told and told[-1] == "audio"), (seen, told)
    # The videos a clean page received before (the other clean page's) arrive as they
    # did: frame rate and bitrate within 10 %.
    changed = [
        (name, before_fps, page_after.fps.get(name, 0.0), kbps, page_after.video_kbps.get(name))
        for page_before, page_after in zip(before, after, strict=True)
        for name, before_fps in page_before.fps.items()
        for kbps in [page_before.video_kbps[name]]
        if abs(page_after.fps.get(name, 0.0) - before_fps) > 0.1 * before_fps
        or abs(page_after.video_kbps.get(name, 0.0) - kbps) > 0.1 * kbps
    ]
    assert not changed, (
        f"clean pages changed (name, fps before, after, kbps before, after): {changed}"
    )
    # The links were judged by the pages' transport-cc feedback (Chromium numbers what
    # the worker forwards and says what arrived; mediaworker/transport_cc.py).
    read, malformed = _feedback_counts(weak_url)
    assert read > 100 and malformed == 0, (read, malformed)


def _feedback_counts(url: str) -> tuple[float, float]:
    """The worker's transport-cc feedback counters (embedded: in the web's /metrics)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()

    def value(name: str) -> float:
        found = re.search(rf"(?m)^{name} (\S+)$", text)
        assert found is not None, f"{name} is not in /metrics"
        return float(found.group(1))

    return (
        value("meet_media_transport_feedback_total"),
        value("meet_media_transport_feedback_malformed_total"),
    )


def test_a_weak_publisher_is_heard_by_everyone(
    browser: Browser, weak_url: str, relays: RelayLoop, contexts: list[BrowserContext]
) -> None:
    clean = [_open(browser, weak_url, contexts) for _ in CLEAN[:2]]
    for page, username in zip(clean, CLEAN, strict=True):
        join(page, username)
    weak, link = _weak(browser, weak_url, contexts, relays, Impairment(rate_kbps=300), Impairment())
    join(weak, WEAK)
    _through_relay(link, weak)
    weak.wait_for_timeout(SETTLE_SECS * 1000)
    windows = measure(clean, 30)
    for seen in windows:
        voice = seen.concealed_by_name.get(WEAK_NAME)
        assert voice is not None and voice < 5, windows
