"""Layers per subscriber (issue 13): which layer fits, and the worker forwarding it.

The allocation and the link estimate are plain Python; the rest runs real aiortc
participants through the worker: a publisher sending a camera and its low layer
("camera-low", its own m-line, as media.js does), subscribers choosing by tile size,
weak-connection mode, and the layers nobody receives paused at the publisher.
"""

from __future__ import annotations

import pytest

from mediaworker.bandwidth import LinkEstimate, Window
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


def test_loss_cuts_the_budget_to_what_got_through_and_a_clean_link_may_step_up() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=1500, rtt=0.05)
    assert link.budget_bps is None  # clean: no limit known
    _tick(link, 0.5, sent_kbps=1500, lost=0.6, rtt=0.05)
    assert link.budget_bps == pytest.approx(1_500_000 * 0.4 * 0.85, rel=0.05)
    assert link.quality == "poor"
    # Late news of the old rate (we now send less than decided): no second cut.
    _tick(link, 1.0, sent_kbps=400, lost=0.9, rtt=0.05)
    assert link.budget_bps == pytest.approx(1_500_000 * 0.4 * 0.85, rel=0.05)
    assert not link.may_probe(1.0, 1.2 * MBPS)  # held after a cut
    for step in range(3, 12):
        _tick(link, step * 0.5, sent_kbps=450, rtt=0.05)
    assert link.quality == "good"
    assert link.may_probe(5.5, 1.2 * MBPS)
    assert link.budget_bps == 1.2 * MBPS  # the trial
    _tick(link, 6.0, sent_kbps=1200, lost=0.3, rtt=0.05)  # it did not fit
    assert link.budget_bps is not None and link.budget_bps < 1.2 * MBPS
    for step in range(13, 20):
        _tick(link, step * 0.5, sent_kbps=450, rtt=0.05)
    # A smaller step may be tried after a short wait; the failed one waits longer.
    assert not link.may_probe(9.5, 1.2 * MBPS)
    assert link.may_probe(9.5, 0.6 * MBPS)
    for step in range(20, 26):
        _tick(link, step * 0.5, sent_kbps=600, rtt=0.05)  # it worked
    assert link.budget_bps is not None and link.budget_bps >= 0.6 * MBPS
    assert link.may_probe(12.5, 1.2 * MBPS)  # 6 s after the failure


def test_a_step_that_fails_again_waits_twice_as_long() -> None:
    link = LinkEstimate()
    now = 0.0
    _tick(link, now, sent_kbps=1000, lost=0.5, rtt=0.05)
    waits = []
    for _ in range(3):
        clean_from = now
        while True:
            now += 0.5
            _tick(link, now, sent_kbps=400, rtt=0.05)
            if link.may_probe(now, 1.2 * MBPS):
                break
        waits.append(now - clean_from)
        now += 0.5
        _tick(link, now, sent_kbps=1200, lost=0.4, rtt=0.05)
    assert waits[1] > waits[0] and waits[2] >= 2 * waits[1] - 1.0


def test_a_growing_round_trip_counts_as_congestion_before_any_loss() -> None:
    link = LinkEstimate()
    _tick(link, 0.0, sent_kbps=1000, rtt=0.06)
    _tick(link, 0.5, sent_kbps=1000, rtt=0.45)  # a queue of ~400 ms on the path
    assert link.congested
    assert link.budget_bps == pytest.approx(850_000, rel=0.01)
