"""The router's periodic look at every link: bitrates, budgets, paused layers.

Every ``bandwidth.TICK_SECS`` the router calls ``LinkTicker.tick``: each published
stream's bitrate is measured (what ``mediaworker/layers.py`` weighs), each
subscriber's estimate takes what went out and what its browser reported
(``mediaworker/bandwidth.py``), and the router refills the slots with the new budgets.
A video layer that sends nothing (paused) keeps the rate it last had.
After every refill ``pause_unused`` tells each publisher which of its layers anyone
receives: a layer nobody has received for ``PAUSE_AFTER_SECS`` is paused at the
browser (``rtc.layers``), so no upload is spent on it; one that is needed again is
turned on at once (the browser's encoder starts with a keyframe).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from mediaworker.bandwidth import TICK_SECS
from mediaworker.forwarding import Source
from mediaworker.members import Member
from mediaworker.wire import LOW_LAYERS

logger = logging.getLogger(__name__)

PAUSE_AFTER_SECS = 2.0
BITRATE_WEIGHT = 0.5  # of the newest tick in the moving average
PAUSED_BPS = 2_000.0  # a video measured under this sends nothing: paused
# Layers the worker may pause: a publisher that sends a low layer understands rtc.layers.
PAUSABLE = ("camera", "screen", *LOW_LAYERS)


class LinkTicker:
    """Measures streams and links at most every ``TICK_SECS``."""

    def __init__(self) -> None:
        self._last: float | None = None

    def tick(self, members: Iterable[Member], now: float) -> bool:
        """Update bitrates and link estimates if a tick is due; whether it was."""
        if self._last is not None and now - self._last < TICK_SECS:
            return False
        secs = TICK_SECS if self._last is None else now - self._last
        self._last = now
        members = list(members)
        for member in members:
            for published in member.session.published.values():
                _measure(published.stream, secs)
        for member in members:
            windows = [egress.take_window() for egress in member.session.egresses()]
            if not windows:
                continue
            window = windows[0]
            for other in windows[1:]:  # unbundled m-lines: one link all the same
                window.add(other)
            member.link.observe(now, window, secs)
            link = member.link
            if link.probe_failed:  # no room for the copies: every second of them hurts
                logger.info("link %s: a probe failed; %s", member.peer, link.describe())
                for egress in member.session.egresses():
                    egress.stop_probe()
            logger.debug(
                "link %s: sent %.0f kbit/s %d packets, nacked %d, reported lost %d/%d, rtt %s; "
                "loss %.3f budget %s state %s",
                member.peer,
                link.sent_bps / 1000,
                window.sent_packets,
                window.nacked,
                window.rr_lost,
                window.rr_expected,
                window.rtt,
                link.loss,
                link.budget_bps,
                member.bandwidth_state,
            )
        return True


def _measure(stream: Source, secs: float) -> None:
    bits = (stream.octets - stream.octets_mark) * 8.0
    stream.octets_mark = stream.octets
    rate = bits / secs if secs > 0 else 0.0
    if stream.kind == "video" and rate < PAUSED_BPS:
        # Paused (nobody receives it) or not started: it costs what it cost when it
        # last flowed. Counted at its nominal rate instead, a paused high layer made a
        # link that came back probe its way up to ~1 Mbit/s per video (issue 13).
        return
    stream.bitrate += BITRATE_WEIGHT * (rate - stream.bitrate)


def pause_unused(member: Member, now: float) -> dict[str, bool] | None:
    """The ``send`` map to tell ``member``'s browser, or None when nothing changed."""
    published = member.session.published
    if not any(low in published for low in LOW_LAYERS):
        return None  # a publisher without layers is never paused
    wanted: dict[str, bool] = {}
    for name in PAUSABLE:
        entry = published.get(name)
        if entry is None:
            continue
        stream = entry.stream
        if stream.outs or stream.pending or stream.sink is not None:
            member.used_at[name] = now
        last = member.used_at.setdefault(name, now)
        wanted[name] = now - last < PAUSE_AFTER_SECS
    if wanted == member.sending:
        return None
    member.sending = wanted
    return wanted
