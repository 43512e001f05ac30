"""Transport-wide congestion control feedback (issue 13): its bytes, and the sends it
answers. Plain Python; the worker's side with real peers is in test_transport_feedback.py.

The packets below are written by hand from draft-holmer-rmcat-transport-wide-cc-
extensions-01, section 3.1, not by a builder that shares the parser's reading of it.
"""

from __future__ import annotations

import pytest

from mediaworker.bandwidth import LinkEstimate, Window
from mediaworker.transport_cc import (
    LOG_MASK,
    Delivery,
    Feedback,
    SentLog,
    feedback_fcis,
    parse_feedback,
)


def _fixed(base: int, count: int, reference: int, fb_count: int) -> bytes:
    return (
        base.to_bytes(2, "big")
        + count.to_bytes(2, "big")
        + (reference & 0xFFFFFF).to_bytes(3, "big")
        + bytes([fb_count])
    )


def test_a_run_length_chunk_of_received_packets() -> None:
    # Three packets from 10, all "received, small delta" (run-length chunk T=0 S=01 3):
    # 0b0_01_0000000000011 = 0x2003; deltas 4, 8, 0 (x 250 us); reference 1 (x 64 ms).
    fci = _fixed(10, 3, 1, 7) + bytes.fromhex("2003") + bytes([4, 8, 0]) + b"\x00"
    feedback = parse_feedback(fci)
    assert feedback.base_seq == 10 and feedback.count == 7
    assert [seq for seq, _ in feedback.arrivals] == [10, 11, 12]
    times = [at for _, at in feedback.arrivals]
    assert times == pytest.approx([0.065, 0.067, 0.067])


def test_a_two_bit_status_vector_with_a_loss_and_a_negative_delta() -> None:
    # T=1 S=1, symbols 01 00 10 01 00 00 00 -> 0b1_1_01_00_10_01_00_00_00 = 0xD240;
    # packet 1 small delta 4, packet 2 lost, packet 3 large delta -8, packet 4 small 2.
    fci = _fixed(0xFFFE, 4, 0, 0) + bytes.fromhex("D240") + bytes([4]) + bytes.fromhex("FFF8")
    fci += bytes([2])
    feedback = parse_feedback(fci)
    seqs = [seq for seq, _ in feedback.arrivals]
    assert seqs == [0xFFFE, 0xFFFF, 0, 1]  # the sequence wraps
    times = [at for _, at in feedback.arrivals]
    assert times[1] is None
    assert times[0] == pytest.approx(0.001)
    assert times[2] == pytest.approx(-0.001)
    assert times[3] == pytest.approx(-0.0005)


def test_a_one_bit_status_vector_and_a_negative_reference() -> None:
    # T=1 S=0, fourteen 1-bit symbols 1 0 1 1 0...: 0b1_0_10110000000000 = 0xAC00; only
    # the first four count. Reference 0xFFFFFF is -1 (x 64 ms).
    fci = _fixed(100, 4, -1, 3) + bytes.fromhex("AC00") + bytes([40, 40, 40]) + bytes(3)
    feedback = parse_feedback(fci)
    assert len(feedback.arrivals) == 4
    assert [at is None for _, at in feedback.arrivals] == [False, True, False, False]
    assert feedback.arrivals[0][1] == pytest.approx(-0.064 + 0.010)
    assert feedback.arrivals[3][1] == pytest.approx(-0.064 + 0.030)


def test_a_long_run_of_lost_packets_needs_no_deltas() -> None:
    fci = _fixed(5, 300, 2, 1) + (300).to_bytes(2, "big") + bytes(2)  # T=0 S=00 300
    feedback = parse_feedback(fci)
    assert len(feedback.arrivals) == 300
    assert all(at is None for _, at in feedback.arrivals)


@pytest.mark.parametrize(
    "fci",
    [
        b"",
        _fixed(1, 1, 0, 0),  # a status count and no chunk
        _fixed(1, 2, 0, 0) + bytes.fromhex("2002") + bytes([1]),  # one delta of two
        _fixed(1, 1, 0, 0) + bytes.fromhex("6001") + bytes(2),  # S=11: reserved
    ],
)
def test_malformed_feedback_is_refused(fci: bytes) -> None:
    with pytest.raises(ValueError):
        parse_feedback(fci)


def test_feedback_is_taken_out_of_a_compound_packet() -> None:
    receiver_report = bytes.fromhex("80c90001") + bytes.fromhex("00000001")
    fci = _fixed(10, 1, 1, 0) + bytes.fromhex("2001") + bytes([4, 0])
    words = (8 + len(fci)) // 4
    feedback = bytes([0x80 | 15, 205]) + words.to_bytes(2, "big") + bytes(8) + fci
    fcis, rest = feedback_fcis(receiver_report + feedback)
    assert fcis == [fci]
    assert rest == receiver_report
    nack = bytes([0x81, 205, 0, 3]) + bytes(8) + bytes.fromhex("00050000")
    assert feedback_fcis(receiver_report + nack) == ([], receiver_report + nack)
    assert feedback_fcis(feedback[:-4]) == ([], feedback[:-4])  # a length past the end


def _sent(log: SentLog, count: int, every: float, size: int = 1000, start: float = 0.0) -> None:
    for _ in range(count):
        number = log.next_seq
        log.sent_at[number & LOG_MASK] = start + number * every
        log.sizes[number & LOG_MASK] = size
        log.next_seq = number + 1


def _feedback_of(arrivals: list[tuple[int, float | None]]) -> Feedback:
    return Feedback(arrivals[0][0] & 0xFFFF, 0, [(s & 0xFFFF, a) for s, a in arrivals])


def test_a_queue_that_fills_shows_in_one_way_delays() -> None:
    log = SentLog()
    _sent(log, 40, 0.01)  # 40 packets of 1000 bytes, 10 ms apart: 800 kbit/s
    # The first 20 cross in 5 ms; then each waits 10 ms more than the one before.
    arrivals: list[tuple[int, float | None]] = []
    for seq in range(40):
        wait = 0.005 + max(seq - 19, 0) * 0.01
        arrivals.append((seq, 100.0 + seq * 0.01 + wait))
    arrivals[25] = (25, None)
    log.on_feedback(_feedback_of(arrivals))
    delivery = log.take()
    assert delivery.packets == 40 and delivery.lost == 1
    assert delivery.queue_start == pytest.approx(0.0)
    assert delivery.queue_end == pytest.approx(0.17)  # the lowest of the last four
    assert delivery.queue_max == pytest.approx(0.20)
    assert delivery.delivered_bps == pytest.approx(39 * 8000 / (0.39 + 0.2), rel=1e-6)
    assert log.take() == Delivery()  # taken: the next tick starts empty


def test_numbers_are_unwrapped_against_what_was_sent() -> None:
    log = SentLog()
    _sent(log, 70_000, 0.001)  # the 16-bit numbers wrapped once
    newest = log.next_seq - 1
    log.on_feedback(_feedback_of([(newest - 1, 80.0), (newest, 80.001)]))
    delivery = log.take()
    assert delivery.packets == 2 and delivery.lost == 0
    assert delivery.bytes_received == 2000
    # A number not sent yet (or too old for the log) is skipped, not matched wrongly.
    log.on_feedback(_feedback_of([(newest + 5, 81.0)]))
    assert log.take().packets == 0


def test_a_late_arrival_of_a_packet_reported_lost_is_not_lost() -> None:
    log = SentLog()
    _sent(log, 30, 0.01)
    first: list[tuple[int, float | None]] = [(s, 10.0 + s * 0.01) for s in range(30)]
    first[28] = (28, None)
    log.on_feedback(_feedback_of(first))
    log.on_feedback(_feedback_of([(28, 10.5)]))
    delivery = log.take()
    assert delivery.packets == 30 and delivery.lost == 0


def _tick(link: LinkEstimate, now: float, start: float, end: float, bps: float) -> None:
    delivery = Delivery(
        packets=50,
        bytes_received=int(bps / 16),
        first_arrival=now - 0.5,
        last_arrival=now,
        queue_start=start,
        queue_end=end,
        queue_max=max(start, end),
        feedbacks=5,
    )
    link.observe(now, Window(sent_bits=bps / 2, sent_packets=50, delivery=delivery))


def test_a_queue_filling_fast_cuts_the_budget_in_one_tick() -> None:
    link = LinkEstimate(budget_bps=1_000_000.0)
    for i in range(6):
        _tick(link, i * 0.5, 0.0, 0.002, 800_000.0)
    assert not link.congested and link.budget_bps == pytest.approx(1_000_000.0)
    _tick(link, 3.5, 0.01, 0.4, 300_000.0)  # the link fell: its queue grew 0.39 s
    assert link.congested
    assert link.budget_bps == pytest.approx(300_000.0 * 0.85)


def test_one_late_tick_is_not_congestion_but_a_queue_that_keeps_filling_is() -> None:
    link = LinkEstimate(budget_bps=1_000_000.0)
    _tick(link, 0.0, 0.0, 0.0, 800_000.0)
    _tick(link, 0.5, 0.0, 0.1, 800_000.0)  # a busy machine read one tick's arrivals late
    assert not link.congested
    _tick(link, 1.0, 0.0, 0.0, 800_000.0)
    _tick(link, 1.5, 0.0, 0.09, 800_000.0)
    assert not link.congested
    _tick(link, 2.0, 0.09, 0.18, 800_000.0)  # growing again: a queue filling
    assert link.congested


def test_a_queue_draining_after_a_cut_does_not_cut_again() -> None:
    link = LinkEstimate(budget_bps=1_000_000.0)
    _tick(link, 0.0, 0.0, 0.0, 800_000.0)
    _tick(link, 0.5, 0.0, 0.5, 400_000.0)
    assert link.congested
    budget = link.budget_bps
    for i, (start, end) in enumerate([(0.5, 0.45), (0.45, 0.4), (0.4, 0.35), (0.35, 0.3)]):
        _tick(link, 3.0 + i * 0.5, start, end, 400_000.0)  # after the hold: draining
        assert not link.congested
    assert link.budget_bps is not None and budget is not None
    assert link.budget_bps >= budget  # never cut again (it follows what is sent)


def test_feedback_loss_replaces_the_receiver_reports() -> None:
    """With feedback, a receiver report about an older second no longer cuts (issue 13:
    a report of the fallen link, read after the link came back, held it at the floor)."""
    link = LinkEstimate(budget_bps=1_000_000.0)
    delivery = Delivery(packets=40, lost=0, feedbacks=4, queue_start=0.0, queue_end=0.0)
    link.observe(
        0.0,
        Window(sent_bits=400_000, sent_packets=40, rr_expected=100, rr_lost=30, delivery=delivery),
    )
    assert link.loss == 0.0 and not link.congested
    delivery = Delivery(packets=40, lost=8, feedbacks=4, queue_start=0.0, queue_end=0.0)
    link.observe(0.5, Window(sent_bits=400_000, sent_packets=40, delivery=delivery))
    assert link.loss == pytest.approx(0.2) and link.congested


def test_within_the_hold_only_a_queue_still_growing_cuts_again() -> None:
    """After a cut the media rate may be read against arrivals of an older tick; with
    feedback the queue of the same packets says whether the link still overflows."""
    link = LinkEstimate(budget_bps=1_000_000.0)
    _tick(link, 0.0, 0.0, 0.0, 800_000.0)
    _tick(link, 0.5, 0.0, 0.4, 200_000.0)  # cut to 170 kbit/s
    budget = link.budget_bps
    link.observe(
        1.0,
        Window(
            sent_bits=300_000,  # 600 kbit/s sent this tick: far over what arrived
            sent_packets=50,
            delivery=Delivery(
                packets=50,
                bytes_received=12_500,
                first_arrival=0.5,
                last_arrival=1.0,
                queue_start=0.45,
                queue_end=0.35,
                queue_max=0.45,
                feedbacks=5,
            ),
        ),
    )
    # A queue that drains: not cut again, nor is the budget raised to what is sent.
    assert not link.congested
    assert link.budget_bps == budget
    _tick(link, 1.5, 0.35, 0.6, 100_000.0)
    assert link.budget_bps is not None and budget is not None
    assert link.budget_bps < budget  # growing again: cut
