"""The media worker's Prometheus series, read from its state when scraped.

Rooms, participants, publishers, subscribers, viewers and recordings are counted from
the live routers at scrape time (nothing is counted twice or forgotten when a room
closes). Bytes in and out and keyframe requests are plain integers the forwarding hot
path adds to (``TALLY``): no lock, no allocation, no prometheus call per packet; the
collector reports them as counters. Event-loop lag comes from ``LoopPulse``, which also
tells ``/healthz`` whether the loop still turns. CPU seconds are prometheus_client's
own ``process_cpu_seconds_total``.

In the embedded default the worker runs inside daphne and these series appear in the
web's ``/metrics`` (one default registry); as its own process (``meet media``) the worker
serves them on ``MEET_MEDIA_METRICS_PORT`` (mediaworker/exposition.py).
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from mediaworker.admission import Admission
    from mediaworker.router import Router

PULSE_SECS = 1.0
# The loop has not turned for this long: /healthz answers 503.
STALLED_SECS = 15.0


class Tally:
    """Counters the hot path adds to (one event loop: plain ints need no lock)."""

    __slots__ = (
        "bytes_in",
        "bytes_out",
        "keyframe_requests",
        "pipe_packets_missed",
        "pipe_packets_resent",
        "feedbacks",
        "bad_feedback",
    )

    def __init__(self) -> None:
        self.bytes_in = 0  # RTP payload bytes received from publishers
        self.bytes_out = 0  # RTP payload bytes forwarded to subscribers
        self.keyframe_requests = 0  # PLIs sent to publishers
        self.pipe_packets_missed = 0  # piped video packets that did not arrive: asked again
        self.pipe_packets_resent = 0  # sent into a pipe after their turn (asked for, recovered)
        self.feedbacks = 0  # transport-cc feedback packets taken from subscribers
        self.bad_feedback = 0  # ...that could not be read (dropped)


TALLY = Tally()


class LoopPulse:
    """Measures how late the event loop wakes a sleeper; its last beat proves it turns."""

    def __init__(self) -> None:
        self.lag_secs = 0.0
        self.longest_lag_secs = 0.0  # since the worker started (a join storm's stall)
        self.beat = time.monotonic()

    async def run(self, interval_secs: float = PULSE_SECS) -> None:
        """Beat every ``interval_secs`` until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + interval_secs
            await asyncio.sleep(interval_secs)
            self.lag_secs = max(loop.time() - expected, 0.0)
            self.longest_lag_secs = max(self.longest_lag_secs, self.lag_secs)
            self.beat = time.monotonic()

    def alive(self, now: float | None = None) -> bool:
        """Whether the loop beat within ``STALLED_SECS``."""
        return (now if now is not None else time.monotonic()) - self.beat < STALLED_SECS


class Observed(Protocol):
    """What the collector reads of a worker (mediaworker.worker.MediaWorker)."""

    routers: dict[str, Router]
    pulse: LoopPulse
    admission: Admission


_workers: weakref.WeakSet[Observed] = weakref.WeakSet()
_registered = threading.Lock()
_collector: WorkerCollector | None = None


def observe(worker: Observed) -> None:
    """Report ``worker`` in the default registry (registered once per process)."""
    global _collector
    _workers.add(worker)
    with _registered:
        if _collector is None:
            _collector = WorkerCollector()
            REGISTRY.register(_collector)


def forget(worker: Observed) -> None:
    """Stop reporting ``worker`` (it stopped)."""
    _workers.discard(worker)


def healthy() -> tuple[bool, str]:
    """(ok, detail) for /healthz: a worker runs and its loop turns."""
    workers = list(_workers)
    if not workers:
        return False, "starting"
    if not all(worker.pulse.alive() for worker in workers):
        return False, "event loop stalled"
    return True, "ok"


class WorkerCollector(Collector):
    """The ``meet_media_*`` series of the workers in this process."""

    def collect(self) -> Iterator[Metric]:
        counts = dict.fromkeys(GAUGES, 0)
        lag = longest = 0.0
        for worker in list(_workers):
            lag = max(lag, worker.pulse.lag_secs)
            longest = max(longest, worker.pulse.longest_lag_secs)
            # list(): the loop's thread may change the dicts while this thread reads.
            for router in list(worker.routers.values()):
                _count_room(router, counts)
        for name, help_text in GAUGES.items():
            yield GaugeMetricFamily(name, help_text, value=counts[name])
        yield GaugeMetricFamily(
            "meet_media_event_loop_lag_seconds",
            "How late the worker's event loop last woke a 1 s sleeper.",
            value=lag,
        )
        yield GaugeMetricFamily(
            "meet_media_event_loop_longest_lag_seconds",
            "The latest the worker's event loop woke a 1 s sleeper since it started.",
            value=longest,
        )
        yield from _handshakes([worker.admission for worker in list(_workers)])
        yield CounterMetricFamily(
            "meet_media_received_bytes",
            "RTP payload bytes received from publishers.",
            value=TALLY.bytes_in,
        )
        yield CounterMetricFamily(
            "meet_media_sent_bytes",
            "RTP payload bytes forwarded to subscribers and viewers.",
            value=TALLY.bytes_out,
        )
        yield CounterMetricFamily(
            "meet_media_keyframe_requests",
            "Keyframe requests (RTCP PLI) sent to publishers.",
            value=TALLY.keyframe_requests,
        )
        yield CounterMetricFamily(
            "meet_media_pipe_packets_missed",
            "Video packets from other workers' pipes that did not arrive (asked for again).",
            value=TALLY.pipe_packets_missed,
        )
        yield CounterMetricFamily(
            "meet_media_pipe_packets_resent",
            "Packets sent into pipes after their turn: asked for again by the far worker, "
            "or recovered from the publisher.",
            value=TALLY.pipe_packets_resent,
        )
        yield CounterMetricFamily(
            "meet_media_transport_feedback",
            "Transport-wide congestion control feedback packets read from subscribers' "
            "browsers (each tells of ~100 ms of forwarded packets).",
            value=TALLY.feedbacks,
        )
        yield CounterMetricFamily(
            "meet_media_transport_feedback_malformed",
            "Transport-wide congestion control feedback packets that could not be read.",
            value=TALLY.bad_feedback,
        )


def _handshakes(admissions: list[Admission]) -> Iterator[Metric]:
    """New connections' handshakes and their turns (mediaworker/admission.py)."""
    yield GaugeMetricFamily(
        "meet_media_handshakes_running",
        "New connections' handshakes under way.",
        value=sum(a.running for a in admissions),
    )
    yield GaugeMetricFamily(
        "meet_media_handshakes_waiting",
        "New connections' handshakes waiting for their turn.",
        value=sum(a.waiting for a in admissions),
    )
    yield GaugeMetricFamily(
        "meet_media_handshakes_peak",
        "The most handshakes ever under way at once.",
        value=max((a.peak for a in admissions), default=0),
    )
    yield CounterMetricFamily(
        "meet_media_handshakes_queued",
        "Handshakes that waited for their turn.",
        value=sum(a.queued for a in admissions),
    )
    yield CounterMetricFamily(
        "meet_media_handshake_wait_seconds",
        "Seconds handshakes waited for their turn, summed.",
        value=sum(a.waited_secs for a in admissions),
    )
    yield GaugeMetricFamily(
        "meet_media_handshake_longest_wait_seconds",
        "The longest wait of a handshake for its turn.",
        value=max((a.longest_wait_secs for a in admissions), default=0.0),
    )


GAUGES = {
    "meet_media_rooms": "Live rooms on this worker.",
    "meet_media_participants": "Participants connected to the worker's rooms.",
    "meet_media_viewers": "Public WebRTC viewers of broadcasts.",
    "meet_media_publishers": "Participants sending at least one stream.",
    "meet_media_subscribers": "Participants and viewers receiving at least one stream.",
    "meet_media_recordings_active": "Recordings under way.",
    "meet_media_hls_muxers_active": "Live HLS programs being written (one per recording).",
    "meet_media_broadcasts_active": "Recordings that are public broadcasts.",
    "meet_media_pipes_in": "Pipes bringing a room's streams from another worker, per room.",
    "meet_media_pipes_out": "Pipes taking a room's streams to another worker, per room.",
    "meet_media_piped_videos_out": "Videos (each layer apart) sent into pipes: those the "
    "far workers take.",
}


def _count_room(router: Router, counts: dict[str, int]) -> None:
    members = list(router.members.values())
    viewers = list(router.viewers.values())
    counts["meet_media_rooms"] += 1
    counts["meet_media_participants"] += len(members)
    counts["meet_media_viewers"] += len(viewers)
    for member in members:
        published = member.session.published
        if any(on and source in published for source, on in list(member.active.items())):
            counts["meet_media_publishers"] += 1
    for member in members + viewers:
        if any(slot.out.source is not None for slot in list(member.session.slots)):
            counts["meet_media_subscribers"] += 1
    pipes = router.pipes
    if pipes is not None:
        counts["meet_media_pipes_in"] += pipes.upstream
        counts["meet_media_pipes_out"] += len(pipes.outs)
        counts["meet_media_piped_videos_out"] += pipes.videos_out
    recorder = router.recorder
    if recorder is not None:
        counts["meet_media_recordings_active"] += 1
        counts["meet_media_hls_muxers_active"] += 1
        counts["meet_media_broadcasts_active"] += int(recorder.broadcast)
