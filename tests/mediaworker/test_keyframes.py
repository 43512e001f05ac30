"""Throttled keyframe requests: at most one per interval, deferred not dropped."""

from __future__ import annotations

import asyncio

from mediaworker.keyframes import KeyframeRequester


def _requester(
    waiting: list[bool], *, burst: int = 100, refill_secs: float = 0.01
) -> tuple[KeyframeRequester, list[float]]:
    sent: list[float] = []
    loop = asyncio.get_running_loop()
    requester = KeyframeRequester(
        lambda: sent.append(loop.time()),
        lambda: waiting[0],
        min_interval_secs=0.1,
        retry_secs=0.3,
        burst=burst,
        refill_secs=refill_secs,
    )
    return requester, sent


async def test_first_request_goes_out_at_once() -> None:
    requester, sent = _requester([False])
    requester.request()
    assert len(sent) == 1
    requester.cancel()


async def test_requests_inside_the_interval_are_deferred_to_its_end() -> None:
    requester, sent = _requester([True])
    requester.request()
    for _ in range(5):
        requester.request()
    assert len(sent) == 1
    await asyncio.sleep(0.15)
    assert len(sent) == 2  # one deferred request, not five
    assert sent[1] - sent[0] >= 0.099
    requester.cancel()


async def test_deferred_request_is_dropped_when_nobody_waits_any_more() -> None:
    waiting = [True]
    requester, sent = _requester(waiting)
    requester.request()
    requester.request()
    waiting[0] = False  # the keyframe arrived in the meantime
    await asyncio.sleep(0.15)
    assert len(sent) == 1
    requester.cancel()


async def test_retries_while_someone_still_waits() -> None:
    waiting = [True]
    requester, sent = _requester(waiting)
    requester.request()
    await asyncio.sleep(0.7)
    assert len(sent) == 3  # at 0, ~0.3 and ~0.6 s
    waiting[0] = False
    await asyncio.sleep(0.35)
    assert len(sent) == 3
    requester.cancel()


async def test_a_join_storm_gets_about_one_keyframe_per_refill() -> None:
    """Every joiner asks; the room receives each keyframe, so the rate is bounded."""
    requester, sent = _requester([True], burst=2, refill_secs=0.4)
    for _ in range(24):  # a new viewer every 50 ms for 1.2 s
        requester.request()
        await asyncio.sleep(0.05)
    requester.cancel()
    assert 3 <= len(sent) <= 5  # 2 at once (the burst), then one per 0.4 s
    assert sent[1] - sent[0] >= 0.099


async def test_a_viewers_own_request_deferred_goes_out_though_no_slot_waits() -> None:
    """A viewer's PLI (its decoder lost the picture) inside the throttle's window: no slot
    is waiting, but the viewer is. Dropped, it stayed frozen until it asked again (seen
    in CI, tests/mediaworker/test_forwarding.py, under load)."""
    requester, sent = _requester([False])
    requester.request()
    requester.request(asked=True)
    await asyncio.sleep(0.15)  # the window ends at 0.1 s (its timer runs first)
    assert len(sent) == 2
    requester.cancel()
    answered, sent = _requester([False])
    answered.request()
    answered.request(asked=True)
    answered.arrived()  # a keyframe came before the window ended: that answers it
    await asyncio.sleep(0.15)
    assert len(sent) == 1
    answered.cancel()
