"""Layers per subscriber (issue 13): which layer fits, and the worker forwarding it.

The allocation and the link estimate are plain Python; the rest runs real aiortc
participants through the worker: a publisher sending a camera and its low layer
("camera-low", its own m-line, as media.js does), subscribers choosing by tile size,
weak-connection mode, and the layers nobody receives paused at the publisher.
"""

from __future__ import annotations

import pytest

from mediaworker.bandwidth import (
    CEILING_WAIT_MAX_SECS,
    CEILING_WAIT_SECS,
    TICK_SECS,
    LinkEstimate,
    Window,
)
from mediaworker.layers import HIGH, LOW, OFF, Want, allocate

MBPS = 1_000_000.0


def _wants(*large: bool, low: float | None = 150_000.0) -> list[Want]:
    return [Want(f"p{i}/camera", 900_000.0, low, flag) for i, flag in enumerate(large)]


def test_without_a_limit_large_tiles_get_the_high_layer_and_small_ones_the_low() -> None:
    allocation = allocate(_wants(True, False, False), None, 40_000)
    assert allocation.layers == {"p0/camera": HIGH, "p1/camera": LOW, "p2/camera": LOW}
    assert allocation.state == "ok"
    assert allocation.needed_bps is None


def test_a_tight_budget_gives_low_layers_first_then_high_in_order() -> None:
    # 40k audio + three low layers (450k) leave 510k: not enough for one high (+750k).
    allocation = allocate(_wants(True, True, True), 1 * MBPS, 40_000)
    assert set(allocation.layers.values()) == {LOW}
    assert allocation.state == "reduced"
    assert allocation.needed_bps == pytest.approx(40_000 + 3 * 150_000 + 750_000)
    roomy = allocate(_wants(True, True, True), 1.3 * MBPS, 40_000)
    assert roomy.layers == {"p0/camera": HIGH, "p1/camera": LOW, "p2/camera": LOW}


def test_when_even_low_layers_do_not_fit_last_n_shrinks_to_the_speaker_then_audio() -> None:
    speaker_only = allocate(_wants(True, True, True), 250_000, 40_000)
    assert speaker_only.layers == {"p0/camera": LOW, "p1/camera": OFF, "p2/camera": OFF}
    assert speaker_only.state == "speaker"
    assert speaker_only.needed_bps == pytest.approx(40_000 + 150_000 + 150_000)
    audio_only = allocate(_wants(True, True), 120_000, 40_000)
    assert set(audio_only.layers.values()) == {OFF}
    assert audio_only.state == "audio"


def test_a_publisher_without_a_low_layer_costs_its_only_layer() -> None:
    allocation = allocate(_wants(False, low=None), 500_000, 40_000)
    assert allocation.layers == {"p0/camera": OFF}
    assert allocate(_wants(False, low=None), None, 40_000).layers == {"p0/camera": HIGH}


def _tick(link: LinkEstimate, now: float, *, sent_kbps: float, lost: float = 0.0, rtt=None):
    packets = int(sent_kbps * 1000 * 0.5 / 8 / 1100) + 1
    window = Window(
        sent_bits=sent_kbps * 1000 * 0.5,
        sent_packets=packets,
        nacked=int(packets * lost),
        rtt=rtt,
    )
    link.observe(now, window, 0.5)


def _clean(link: LinkEstimate, start: float, end: float, kbps: float = 450) -> None:
    now = start
    while now < end - 1e-9:
        now += 0.5
        _tick(link, now, sent_kbps=kbps, rtt=0.05)


def test_loss_cuts_the_budget_to_what_got_through_and_a_clean_link_may_step_up() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=1500, rtt=0.05)
    assert link.budget_bps is None  # clean: no limit known
    _tick(link, 0.5, sent_kbps=1500, lost=0.6, rtt=0.05)
    cut = 1_500_000 * 0.4 * 0.85
    assert link.budget_bps == pytest.approx(cut, rel=0.05)
    assert link.quality == "poor"
    # Late news of the old rate (we now send less than decided): no second cut.
    _tick(link, 1.0, sent_kbps=400, lost=0.9, rtt=0.05)
    assert link.budget_bps == pytest.approx(cut, rel=0.05)
    assert link.step_up(1.0, 1.2 * MBPS) is None  # held after a cut
    _clean(link, 1.0, 5.0)
    assert link.loss == 0.0 and not link.congested
    # A big step is probed first: copies at up to twice the budget, for a second.
    rate = link.step_up(5.0, 1.2 * MBPS)
    assert rate == pytest.approx(2 * cut - 450_000, rel=0.05)
    assert link.budget_bps == pytest.approx(cut, rel=0.05)  # not raised before it holds
    _clean(link, 5.0, 6.5)
    assert link.budget_bps == pytest.approx(2 * cut, rel=0.05)  # it held
    # The rest is a small step: tried with the layers themselves.
    _clean(link, 6.5, 7.5)
    assert link.quality == "good"
    assert link.step_up(7.5, 1.2 * MBPS) == 0.0
    assert link.budget_bps == 1.2 * MBPS
    _tick(link, 8.0, sent_kbps=1200, lost=0.3, rtt=0.05)  # it did not fit
    assert link.budget_bps is not None and link.budget_bps < 1.2 * MBPS
    _clean(link, 8.0, 8.0 + CEILING_WAIT_SECS - 0.5, kbps=700)
    assert link.step_up(link_now := 8.0 + CEILING_WAIT_SECS - 0.5, 1.2 * MBPS) is None  # waits
    _clean(link, link_now, 8.0 + CEILING_WAIT_SECS, kbps=700)
    # A step that failed is probed with copies first, however small: no switch up and down.
    copies = link.step_up(8.0 + CEILING_WAIT_SECS, 1.2 * MBPS)
    assert copies == pytest.approx(500_000)
    _clean(link, 8.0 + CEILING_WAIT_SECS, 10.0 + CEILING_WAIT_SECS, kbps=700)
    assert link.budget_bps == 1.2 * MBPS  # it held: the layers may go up


def test_a_probe_that_does_not_fit_keeps_the_budget_and_sets_a_ceiling() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=1000, lost=0.5, rtt=0.05)
    budget = link.budget_bps
    _clean(link, 0.0, 3.0, kbps=400)
    assert link.step_up(3.0, 1.5 * MBPS)
    _tick(link, 3.5, sent_kbps=400, lost=0.2, rtt=0.05)  # the copies overloaded it
    assert link.budget_bps == budget
    assert link.probe_failed  # the router stops the copies at once
    again = 3.5 + CEILING_WAIT_SECS
    _clean(link, 3.5, again - 0.5, kbps=400)
    assert not link.probe_failed
    assert link.step_up(again - 0.5, 1.5 * MBPS) is None
    _clean(link, again - 0.5, again, kbps=400)
    assert link.step_up(again, 1.5 * MBPS)


def test_a_step_that_fails_again_waits_longer_but_never_past_the_cap() -> None:
    """Issue 13: a link that comes back after many failed steps up gets its layers
    within ~10 s (this wait, a probe, a trial), not after a 30-s back-off."""
    link = LinkEstimate()
    now = 0.0
    _tick(link, now, sent_kbps=1000, lost=0.5, rtt=0.05)
    waits = []
    for _ in range(6):
        clean_from = now
        while True:
            now += 0.5
            _tick(link, now, sent_kbps=400, rtt=0.05)
            if link.step_up(now, 1.2 * MBPS) is not None:
                break
        waits.append(now - clean_from)
        now += 0.5
        _tick(link, now, sent_kbps=400, lost=0.4, rtt=0.05)
    assert waits[1] > waits[0] and waits[2] > waits[1]
    assert waits == sorted(waits) and waits[-1] == waits[-2]
    assert max(waits) <= CEILING_WAIT_MAX_SECS + TICK_SECS


def test_a_growing_round_trip_counts_as_congestion_before_any_loss() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=1000, rtt=0.06)
    _tick(link, 0.5, sent_kbps=1000, rtt=0.45)  # once: a busy machine, perhaps
    assert not link.congested
    _tick(link, 1.0, sent_kbps=1000, rtt=0.47)  # a queue of ~400 ms on the path
    assert link.congested
    assert link.budget_bps == pytest.approx(850_000, rel=0.01)


def _report(link: LinkEstimate, now: float, rtt: float, *, delivered=None, nacked=0) -> None:
    window = Window(sent_bits=1_000_000 * 0.5, sent_packets=60, nacked=nacked, rtt=rtt)
    window.delivered_bps = delivered
    link.observe(now, window, 0.5)


def test_a_filling_queue_counts_as_congestion_one_report_earlier() -> None:
    """Issue 13: a link that falls must be seen soon, before loss."""
    link = LinkEstimate()
    _report(link, 0.0, 0.06)
    _report(link, 0.5, 0.2)  # 140 ms of queue
    _report(link, 1.0, 0.3)  # 240 ms: not yet
    assert not link.congested
    _report(link, 1.5, 0.4)  # 340 ms, after growing report after report: filling
    assert link.congested
    assert link.budget_bps is not None


@pytest.mark.parametrize(
    ("delivered", "nacked"),
    [(400_000.0, 0), (None, 3), (950_000.0, 0), (None, 0)],
)
def test_one_late_report_is_not_congestion_whatever_comes_with_it(
    delivered: float | None, nacked: int
) -> None:
    """A busy machine's late report, with a shortfall or a little loss (a lossy link):
    the clean pages of a loaded run were cut when these counted."""
    link = LinkEstimate()
    _report(link, 0.0, 0.06, delivered=1_000_000.0)
    _report(link, 0.5, 0.2, delivered=1_000_000.0)  # climbing...
    _report(link, 1.0, 0.45, delivered=delivered, nacked=nacked)  # ...but jumps once
    assert not link.congested
    assert link.budget_bps is None


def test_a_receiver_getting_the_failed_steps_rate_lifts_the_ceiling() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=1000, lost=0.5, rtt=0.05)
    _clean(link, 0.0, 3.0, kbps=400)
    assert link.step_up(3.0, 1.0 * MBPS) is not None
    _tick(link, 3.5, sent_kbps=400, lost=0.4, rtt=0.05)  # it failed: a ceiling
    _clean(link, 3.5, 5.0, kbps=400)
    assert link.step_up(5.0, 1.0 * MBPS) is None
    window = Window(sent_bits=1_000_000 * 0.5, sent_packets=60, rtt=0.05)
    window.delivered_bps = 1_000_000.0  # the link carried it after all
    link.observe(5.5, window, 0.5)
    _clean(link, 5.5, 6.0, kbps=1000)
    assert link.step_up(6.0, 1.6 * MBPS) is not None  # no wait left


def test_what_the_receiver_reports_getting_sets_the_cut() -> None:
    link = LinkEstimate()
    window = Window(sent_bits=1_500_000 * 0.5, sent_packets=80, nacked=12, rtt=0.05)
    window.delivered_bps = 250_000  # early news: 15 % loss, but only 250 kbit/s arrive
    link.observe(0.0, window, 0.5)
    assert link.budget_bps == pytest.approx(250_000 * 0.85)
    # Within the hold, late news of that overload does not cut what now fits...
    late = Window(sent_bits=200_000 * 0.5, sent_packets=30, nacked=25, delivered_bps=240_000)
    link.observe(0.5, late, 0.5)
    assert link.budget_bps == pytest.approx(250_000 * 0.85)
    # ...but sending far more than arrives does.
    over = Window(sent_bits=900_000 * 0.5, sent_packets=60, nacked=30, delivered_bps=150_000)
    link.observe(1.0, over, 0.5)
    assert link.budget_bps == pytest.approx(150_000 * 0.85)


def test_the_quality_mark_is_the_worst_of_the_last_five_seconds() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=800, rtt=0.05)
    assert link.quality == "good"
    _tick(link, 0.5, sent_kbps=800, lost=0.4, rtt=0.05)
    assert link.quality == "poor"
    _clean(link, 0.5, 5.0, kbps=400)  # clean again, but not for long
    assert link.quality == "poor"
    _clean(link, 5.0, 6.0, kbps=400)
    assert link.quality == "good"
    _tick(link, 6.5, sent_kbps=400, rtt=0.6)  # a 600-ms round trip
    assert link.quality == "fair"


def test_receiver_reports_count_lost_packets_not_a_quiet_streams_fraction() -> None:
    link = LinkEstimate()
    # One packet lost of the three a quiet stream sent: its report says 33 %.
    quiet = Window(sent_bits=400_000 * 0.5, sent_packets=40, rr_expected=3, rr_lost=1)
    link.observe(0.0, quiet, 0.5)
    assert link.loss == 0.0 and not link.congested and link.budget_bps is None
    heavy = Window(sent_bits=400_000 * 0.5, sent_packets=40, rr_expected=120, rr_lost=24)
    link.observe(0.5, heavy, 0.5)
    assert link.loss == pytest.approx(0.2) and link.congested


def test_a_step_that_failed_is_the_same_step_when_rates_wobble() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=1000, lost=0.5, rtt=0.05)
    _clean(link, 0.0, 3.0, kbps=400)
    assert link.step_up(3.0, 1.0 * MBPS) is not None
    _tick(link, 3.5, sent_kbps=400, lost=0.4, rtt=0.05)  # it failed
    _clean(link, 3.5, 6.0, kbps=400)
    assert link.step_up(6.0, 0.97 * MBPS) is None  # 3 % less is the same step


def test_two_transports_of_one_link_count_as_one_window() -> None:
    first = Window(sent_bits=1000, sent_packets=10, nacked=1, rr_expected=15, rr_lost=2, rtt=0.1)
    first.delivered_bps = 300_000
    second = Window(sent_bits=500, sent_packets=5, nacked=2, rr_expected=10, rr_lost=3, rtt=0.3)
    second.delivered_bps = 100_000
    first.add(second)
    assert (first.sent_bits, first.sent_packets, first.nacked) == (1500, 15, 3)
    assert (first.rr_expected, first.rr_lost, first.rtt) == (25, 5, 0.3)
    assert first.delivered_bps == 400_000


def test_a_paused_video_layer_keeps_the_rate_it_last_had() -> None:
    """Issue 13: counted at its nominal rate (1 Mbit/s) once paused, a high layer made a
    link that came back probe its way up far past what the layer needs."""
    from mediaworker.adaptation import _measure
    from mediaworker.forwarding import Source

    layer = Source("video")
    for _ in range(8):  # 300 kbit/s for 4 s
        layer.octets += 300_000 // 8 // 2
        _measure(layer, 0.5)
    assert layer.bitrate == pytest.approx(300_000, rel=0.01)
    for _ in range(8):  # paused: nothing for 4 s
        _measure(layer, 0.5)
    assert layer.bitrate == pytest.approx(300_000, rel=0.01)
    layer.octets += 100_000 // 8 // 2  # flowing again, slower
    _measure(layer, 0.5)
    assert layer.bitrate == pytest.approx(200_000, rel=0.01)


def test_a_link_that_comes_back_is_probed_for_what_it_carried_in_one_step() -> None:
    """Issue 13: high layers back within 10 s of a link's return, not after doubling up
    from the floor a late report cut it to."""
    link = LinkEstimate()
    _clean(link, 0.0, 4.0, kbps=1200)  # the high layers, carried cleanly for seconds
    _tick(link, 4.5, sent_kbps=1200, lost=0.96, rtt=0.05)  # the link falls
    cut = 1_200_000 * 0.1 * 0.85  # what got through (loss counts to 90 %), less 15 %
    assert link.budget_bps == pytest.approx(cut)
    _clean(link, 4.5, 9.0, kbps=60)  # it is back; what fits the cut flows cleanly
    copies = link.step_up(9.0, 1.2 * MBPS)
    assert copies == pytest.approx(1_140_000)  # straight to what it carried, as copies
    assert link.budget_bps == pytest.approx(cut)  # not raised before the probe holds
    _clean(link, 9.0, 10.5, kbps=60)
    assert link.budget_bps == pytest.approx(1.2 * MBPS)


def test_a_link_that_comes_back_is_probed_for_every_step_it_carried_at_once() -> None:
    """Issue 13: audio -> speaker -> reduced -> ok took one probe each (~2 s apiece) on a
    link back to its width; the top step it carried before is probed for in one."""
    link = LinkEstimate()
    _clean(link, 0.0, 4.0, kbps=400)
    _tick(link, 4.5, sent_kbps=400, lost=0.96, rtt=0.05)  # the link falls: audio only
    _clean(link, 4.5, 9.0, kbps=40)
    # The next step (the speaker's low layer) would need 190 kbit/s, the top 400.
    copies = link.step_up(9.0, 190_000, top_bps=400_000)
    assert copies == pytest.approx(360_000)  # towards the top, not the next step
    _clean(link, 9.0, 10.5, kbps=40)
    assert link.budget_bps == pytest.approx(400_000)


def test_a_failed_step_holds_back_the_jump_but_not_a_smaller_step() -> None:
    link = LinkEstimate()
    _clean(link, 0.0, 4.0, kbps=400)
    _tick(link, 4.5, sent_kbps=400, lost=0.96, rtt=0.05)
    _clean(link, 4.5, 9.0, kbps=40)
    assert link.step_up(9.0, 225_000) == pytest.approx(185_000)  # still narrow: a probe
    _tick(link, 9.5, sent_kbps=400, lost=0.5, rtt=0.05)  # 225 kbit/s did not fit: a ceiling
    assert link.probe_failed
    _clean(link, 9.5, 12.0, kbps=40)
    # Within the ceiling's wait the jump to 400 is held back, a step under it is not.
    assert link.step_up(12.0, 190_000, top_bps=400_000) == pytest.approx(150_000)
    link = LinkEstimate()
    _clean(link, 0.0, 4.0, kbps=400)
    _tick(link, 4.5, sent_kbps=400, lost=0.96, rtt=0.05)
    _clean(link, 4.5, 9.0, kbps=40)
    link.step_up(9.0, 225_000)
    _tick(link, 9.5, sent_kbps=400, lost=0.5, rtt=0.05)
    _clean(link, 9.5, 13.0, kbps=40)
    # After the wait, the jump (the link carried 400 before it fell).
    assert link.step_up(13.0, 190_000, top_bps=400_000) == pytest.approx(360_000)


def test_a_remembered_rate_that_no_longer_fits_is_forgotten() -> None:
    link = LinkEstimate()
    _clean(link, 0.0, 4.0, kbps=1200)
    _tick(link, 4.5, sent_kbps=1200, lost=0.96, rtt=0.05)
    _clean(link, 4.5, 9.0, kbps=60)
    assert link.step_up(9.0, 1.2 * MBPS) == pytest.approx(1_140_000)
    _tick(link, 9.5, sent_kbps=1200, lost=0.5, rtt=0.05)  # media and copies did not fit
    assert link.probe_failed
    _clean(link, 9.5, 20.0, kbps=60)
    # The ordinary step from the cut now: twice the budget, at least DIRECT_STEP_BPS up.
    copies = link.step_up(20.0, 1.2 * MBPS)
    assert copies == pytest.approx(1_200_000 * 0.1 * 0.85 + 250_000 - 60_000)
