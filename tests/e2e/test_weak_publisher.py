"""End to end, a weak publisher (issue 13): "A weak *publisher* (uplink 300 kbit/s): its
voice reaches everyone continuously; its video arrives degraded; nobody else's video
suffers."

Two clean pages and one page whose uplink to the worker crosses a 300 kbit/s bottleneck
(tests/e2e/weak_publisher.py; its downlink clean). Over a 30-s window of the clean pages'
``getStats()``: the weak publisher's audio has under 5 % of its samples concealed at each
clean page; its video arrives, at a lower bitrate than the uplink and than a clean
publisher's; and the clean publishers' videos arrive as they did in the same window
before the weak page joined (frame rate and bitrate within 10 %). Figures, with a second
reference (the weak page's uplink widened): bench/weak_publisher.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_weak_links import contexts, relays, weak_url  # noqa: F401 - fixtures
from tests.e2e.weak import RelayLoop
from tests.e2e.weak_publisher import (
    UPLINK_KBPS,
    WEAK_NAME,
    PublisherRun,
    busy_camera,
    camera_args,
    run,
)

pytestmark = pytest.mark.e2e

WINDOW_SECS = 30
CONCEALED_PERCENT = 5
SAME_WITHIN = 0.10


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium whose fake camera films a busy picture (tests/e2e/weak_publisher.py says
    why): every page wants more than 300 kbit/s for its camera."""
    clip = busy_camera(tmp_path_factory.mktemp("camera") / "busy.y4m")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *camera_args(clip)]
        )
        yield launched
        launched.close()


def _changed(seen: PublisherRun) -> list[tuple[int, str, float, float, float, float]]:
    """Clean publishers' videos that differ by more than 10 % (frame rate or bitrate)
    between the window before the weak page joined and the weak-uplink one: (page, name,
    fps then, now, kbit/s then, now)."""
    assert seen.weak is not None and seen.alone is not None
    changed = []
    for page, reference in enumerate(seen.alone.seen):
        for name in reference.fps:
            then, now = seen.alone.video(page, name), seen.weak.video(page, name)
            if (
                abs(now.fps - then.fps) > SAME_WITHIN * then.fps
                or abs(now.kbps - then.kbps) > SAME_WITHIN * then.kbps
            ):
                changed.append((page, name, then.fps, now.fps, then.kbps, now.kbps))
    return changed


def test_a_weak_publisher_is_heard_its_video_degrades_and_nobody_else_suffers(
    browser: Browser,
    weak_url: str,  # noqa: F811 - the fixture
    relays: RelayLoop,  # noqa: F811 - the fixture
    contexts: list[BrowserContext],  # noqa: F811 - the fixture
) -> None:
    """Issue 13: a weak publisher's voice first, its video degraded, the others untouched."""
    seen = run(
        browser, weak_url, relays, contexts, window_secs=WINDOW_SECS, alone=True, widen=False
    )
    weak = seen.weak
    assert weak is not None
    detail = f"{seen}"
    print(detail)  # shown in full when the test fails
    assert weak.uplink is not None and weak.uplink.bytes_forwarded > 0, detail
    for page in range(len(weak.seen)):
        voice = weak.voice(page, WEAK_NAME)
        assert voice is not None and voice < CONCEALED_PERCENT, detail
        video = weak.video(page, WEAK_NAME)
        clean = [weak.video(page, name) for name in weak.seen[page].fps if name != WEAK_NAME]
        assert video.fps > 0, detail  # it arrives...
        assert video.kbps < UPLINK_KBPS, detail  # ...degraded: what the uplink carries
        assert clean and all(video.kbps < other.kbps for other in clean), detail
    # The weak link changes nothing for the others' videos.
    assert not _changed(seen), (_changed(seen), detail)
