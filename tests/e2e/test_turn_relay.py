"""End to end through TURN: two headless Chromiums that may use relay candidates only
(``iceTransportPolicy: "relay"``, what a browser behind a firewall that lets no UDP
through to the media server ends up with) join /demo of a meet process whose
``MEET_TURN_URLS``/``MEET_TURN_SECRET`` point at a real coturn (tests/turn.py), and each
decodes the other's video over the relay. Issue 12."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import serve, throwaway_database
from tests.e2e.test_live_room import frames_decoded, join_as_member
from tests.turn import Coturn, running_coturn

pytestmark = pytest.mark.e2e

# Every RTCPeerConnection the page makes is relay-only, and kept for its statistics.
RELAY_ONLY = """
(() => {
  const Original = window.RTCPeerConnection;
  if (!Original || window.__meetPeerConnections) return;
  window.__meetPeerConnections = [];
  window.RTCPeerConnection = function (configuration, ...rest) {
    const pc = new Original({ ...(configuration || {}), iceTransportPolicy: "relay" }, ...rest);
    window.__meetPeerConnections.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Original);
})();
"""

# The local candidate type of each connection's selected pair, and the TURN URLs used.
SELECTED_PATHS = """
async () => {
  const paths = [];
  for (const pc of window.__meetPeerConnections || []) {
    const stats = await pc.getStats();
    const byId = new Map();
    stats.forEach((report) => byId.set(report.id, report));
    stats.forEach((report) => {
      if (report.type !== "transport" || !report.selectedCandidatePairId) return;
      const pair = byId.get(report.selectedCandidatePairId);
      const local = pair && byId.get(pair.localCandidateId);
      const urls = pc.getConfiguration().iceServers.flatMap((s) => [].concat(s.urls));
      if (local) paths.push({ type: local.candidateType, urls });
    });
  }
  return paths;
}
"""


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    with running_coturn(tmp_path_factory.mktemp("e2e-coturn")) as server:
        yield server


@pytest.fixture(scope="module")
def turn_url(coturn: Coturn, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A meet process that hands out credentials for the test coturn; its own worker."""
    databases = throwaway_database(tmp_path_factory, "e2e_turn")
    try:
        yield from serve(
            next(databases),
            tmp_path_factory.mktemp("e2e-turn-var"),
            MEET_TURN_URLS=coturn.udp_url,
            MEET_TURN_SECRET=coturn.secret,
            MEET_MEDIA_WORKER="inprocess",  # even on Redis: the worker is not under test
        )
    finally:
        databases.close()  # drops a PostgreSQL database


def relay_only_page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=base_url, locale="vi-VN")
    context.add_init_script(RELAY_ONLY)
    yield context.new_page()
    context.close()


@pytest.fixture
def first(browser: Browser, turn_url: str) -> Iterator[Page]:
    yield from relay_only_page(browser, turn_url)


@pytest.fixture
def second(browser: Browser, turn_url: str) -> Iterator[Page]:
    yield from relay_only_page(browser, turn_url)


def test_two_relay_only_browsers_see_each_other_through_coturn(
    first: Page, second: Page, coturn: Coturn
) -> None:
    join_as_member(first, "admin")
    join_as_member(second, "giaovien1")
    for viewer in (first, second):
        decoded = frames_decoded(viewer, more_than=0, timeout_secs=30)
        assert decoded > 0, "no inbound video frame was decoded through the relay"
        assert frames_decoded(viewer, more_than=decoded, timeout_secs=5) > decoded
        paths = viewer.evaluate(SELECTED_PATHS)
        assert paths and all(p["type"] == "relay" for p in paths), paths
        assert all(p["urls"] == [coturn.udp_url] for p in paths), paths
    assert coturn.log().count("incoming packet ALLOCATE processed, success") >= 2
