"""Transport-wide congestion control feedback: what a browser says of each packet we sent.

Plain Python (draft-holmer-rmcat-transport-wide-cc-extensions-01). Receiver reports
come about once a second and tell of a whole second at once, so a link that fell was
seen 2-5 s late and one that came back after 8-12 s (docs/benchmarks.md, issue 13).
A browser that negotiated the transport-wide sequence number extension reports, every
~100 ms, which of the numbered packets arrived and when (to 250 µs). Against the time
each went out, that gives three figures within a tenth of a second of the packets
crossing the link: loss, the queue waiting at the bottleneck (one-way delay over the
lowest seen) and the rate that got through.

The worker numbers every packet it forwards to such a browser, audio and video (one
counter per connection, the 8-byte header extension written with the RTP header:
``forwarding/batch.py``). Retransmissions and probe copies are not numbered: they load
the link, and the numbered packets' queue shows it. Sends and feedback meet in
``SentLog``.
"""

from __future__ import annotations

import struct
import time
from array import array
from dataclasses import dataclass

URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
FEEDBACK_FMT = 15  # RTPFB (PT 205) format of the feedback
MAX_ONE_BYTE_ID = 14  # RFC 8285: the highest id a one-byte header element can carry
RTPFB = 205
# Packets remembered: feedback comes within ~0.3 s, and 2,048 is ~10 s of what a subscriber
# receives (~200 packets/s). C arrays, not lists: a list would hold a float and an int
# object per packet (~560 KB per subscriber at 8,192) and make and free two per packet.
LOG_SIZE = 2048
LOG_MASK = LOG_SIZE - 1
DELTA_SECS = 0.00025  # a receive delta's unit
REFERENCE_SECS = 0.064  # the reference time's unit
MIN_DELAY_MEMORY_SECS = 10.0  # the lowest one-way delay is kept this long, then renewed
EDGE_PACKETS = 4  # a tick's queue is the lowest of this many packets at its start or end

NOT_RECEIVED, SMALL_DELTA, LARGE_DELTA = 0, 1, 2

_FIXED = struct.Struct("!HHi")  # base sequence, status count, reference time << 8 | count
_RUN_LENGTH_MAX = 0x1FFF
_monotonic = time.monotonic  # asyncio's clock, without the loop lookup per packet


def element_bits(extension_id: int) -> int:
    """The 32-bit extension word of a packet numbered 0 under ``extension_id`` (one-byte
    header: id, length 2, the number, a pad byte); OR in ``number << 8`` per packet."""
    return (extension_id << 28) | (1 << 24)


@dataclass
class Feedback:
    """One feedback packet: each reported sequence number and its arrival, or None."""

    base_seq: int
    count: int  # the feedback packet count
    arrivals: list[tuple[int, float | None]]  # (16-bit sequence, arrival in seconds)


def parse_feedback(fci: bytes) -> Feedback:
    """The feedback's FCI (after the sender and media SSRCs); ValueError if malformed.

    Arrival times count from the browser's own origin: only their differences mean
    anything, which is all ``SentLog`` uses."""
    if len(fci) < 8:
        raise ValueError("transport-cc feedback too short")
    base_seq, status_count, reference = _FIXED.unpack_from(fci, 0)
    fb_count = reference & 0xFF
    reference >>= 8  # arithmetic shift: the 24-bit reference time is signed
    statuses: list[int] = []
    pos = 8
    while len(statuses) < status_count:
        if pos + 2 > len(fci):
            raise ValueError("transport-cc feedback: packet chunks cut short")
        chunk = (fci[pos] << 8) | fci[pos + 1]
        pos += 2
        if not chunk & 0x8000:  # run length: one status, many packets
            run = chunk & _RUN_LENGTH_MAX
            statuses.extend([(chunk >> 13) & 0x3] * min(run, status_count - len(statuses)))
        elif chunk & 0x4000:  # status vector of seven 2-bit symbols
            statuses.extend((chunk >> shift) & 0x3 for shift in range(12, -1, -2))
        else:  # status vector of fourteen 1-bit symbols
            statuses.extend((chunk >> shift) & 0x1 for shift in range(13, -1, -1))
    del statuses[status_count:]
    arrivals: list[tuple[int, float | None]] = []
    at = reference * REFERENCE_SECS
    for i, status in enumerate(statuses):
        seq = (base_seq + i) & 0xFFFF
        if status == NOT_RECEIVED:
            arrivals.append((seq, None))
            continue
        if status == SMALL_DELTA:
            if pos + 1 > len(fci):
                raise ValueError("transport-cc feedback: receive deltas cut short")
            delta = fci[pos]
            pos += 1
        elif status == LARGE_DELTA:
            if pos + 2 > len(fci):
                raise ValueError("transport-cc feedback: receive deltas cut short")
            delta = int.from_bytes(fci[pos : pos + 2], "big", signed=True)
            pos += 2
        else:
            raise ValueError("transport-cc feedback: reserved status symbol")
        at += delta * DELTA_SECS
        arrivals.append((seq, at))
    return Feedback(base_seq, fb_count, arrivals)


def feedback_fcis(data: bytes) -> tuple[list[bytes], bytes]:
    """Split a compound RTCP packet: the FCIs of its transport-cc feedback, and the rest
    (the other packets, in order, for aiortc). Malformed lengths leave it all to aiortc."""
    fcis: list[bytes] = []
    rest: list[bytes] = []
    pos = 0
    while pos + 4 <= len(data):
        first, packet_type, words = data[pos], data[pos + 1], (data[pos + 2] << 8) | data[pos + 3]
        end = pos + 4 + words * 4
        if end > len(data):
            return [], data
        if packet_type == RTPFB and first & 0x1F == FEEDBACK_FMT and words >= 2:
            padding = data[end - 1] if first & 0x20 else 0
            fcis.append(bytes(data[pos + 12 : end - padding]))
        else:
            rest.append(data[pos:end])
        pos = end
    if not fcis:
        return [], data
    return fcis, b"".join(rest)


@dataclass
class Delivery:
    """What a connection's feedback said since it was last taken (one estimator tick)."""

    packets: int = 0  # reported on, received or not
    lost: int = 0  # reported as not received
    bytes_received: int = 0
    first_arrival: float | None = None
    last_arrival: float | None = None
    queue_start: float | None = None  # one-way queue (s) at the tick's first packets...
    queue_end: float | None = None  # ...and at its last ones (each the lowest of a few)
    queue_max: float = 0.0
    feedbacks: int = 0

    def merged(self, other: Delivery) -> Delivery:
        """Both connections' figures as one link's (unbundled m-lines: one link)."""

        def worst(a: float | None, b: float | None) -> float | None:
            return b if a is None else a if b is None else max(a, b)

        firsts = [t for t in (self.first_arrival, other.first_arrival) if t is not None]
        lasts = [t for t in (self.last_arrival, other.last_arrival) if t is not None]
        return Delivery(
            packets=self.packets + other.packets,
            lost=self.lost + other.lost,
            bytes_received=self.bytes_received + other.bytes_received,
            first_arrival=min(firsts) if firsts else None,
            last_arrival=max(lasts) if lasts else None,
            queue_start=worst(self.queue_start, other.queue_start),
            queue_end=worst(self.queue_end, other.queue_end),
            queue_max=max(self.queue_max, other.queue_max),
            feedbacks=self.feedbacks + other.feedbacks,
        )

    @property
    def delivered_bps(self) -> float | None:
        """The rate the reported packets arrived at, or None over too short a span."""
        if self.first_arrival is None or self.last_arrival is None:
            return None
        span = self.last_arrival - self.first_arrival
        return self.bytes_received * 8.0 / span if span >= 0.1 else None


class SentLog:
    """Send time and size of each numbered packet of one connection; turns feedback
    into ``Delivery`` figures. ``stamp`` is on the fan-out's hot path: two stores."""

    def __init__(self) -> None:
        # The next packet's number (unwrapped), in an array: the fan-out's compiled
        # helper numbers packets through a pointer to it (forwarding/native.py).
        self.counter = array("Q", [0])
        self.sent_at = array("d", bytes(8 * LOG_SIZE))
        self.sizes = array("I", bytes(4 * LOG_SIZE))
        self.delivery = Delivery()
        self._min_delay: float | None = None
        self._min_delay_at = 0.0
        self._next_min: float | None = None  # the lowest since the last renewal
        self._edge: list[float] = []  # the tick's first queues, until EDGE_PACKETS
        self._tail: list[float] = []  # its latest ones
        self._reported: int = -1  # the highest unwrapped number reported on

    @property
    def next_seq(self) -> int:
        """The next packet's number (not wrapped)."""
        return self.counter[0]

    @next_seq.setter
    def next_seq(self, number: int) -> None:
        self.counter[0] = number

    def stamp(self, size: int) -> int:
        """Number the next packet (``size`` bytes, going out now): its 16-bit number."""
        counter = self.counter
        number = counter[0]
        counter[0] = number + 1
        i = number & LOG_MASK
        self.sent_at[i] = _monotonic()
        self.sizes[i] = size
        return number & 0xFFFF

    def take(self) -> Delivery:
        """The figures since the last call."""
        delivery, self.delivery = self.delivery, Delivery()
        if self._edge:
            delivery.queue_start = min(self._edge)
        if self._tail:
            delivery.queue_end = min(self._tail)
        self._edge, self._tail = [], []
        return delivery

    def on_feedback(self, feedback: Feedback) -> None:
        """Match one feedback's packets with their sends."""
        delivery = self.delivery
        delivery.feedbacks += 1
        newest = self.next_seq - 1
        for seq16, arrival in feedback.arrivals:
            # Our numbers are unwrapped: the reported one is the latest with those 16 bits.
            seq = newest - ((newest - seq16) & 0xFFFF)
            if seq < 0 or newest - seq >= LOG_SIZE:
                continue  # not sent yet, or too old to know
            if arrival is None:
                if seq > self._reported:  # lost; a later report of its arrival is reordering
                    delivery.packets += 1
                    delivery.lost += 1
                    self._reported = seq
                continue
            i = seq & LOG_MASK
            sent, size = self.sent_at[i], self.sizes[i]
            if seq > self._reported:
                delivery.packets += 1
                self._reported = seq
            elif delivery.lost:  # reported lost before, arrived late (reordered)
                delivery.lost -= 1
            delivery.bytes_received += size
            if delivery.first_arrival is None or arrival < delivery.first_arrival:
                delivery.first_arrival = arrival
            if delivery.last_arrival is None or arrival > delivery.last_arrival:
                delivery.last_arrival = arrival
            self._queue(arrival - sent, sent)

    def _queue(self, delay: float, sent: float) -> None:
        # The lowest one-way delay is the path without a queue. Clocks drift and routes
        # change, so it is renewed every MIN_DELAY_MEMORY_SECS from the lowest since.
        low = self._min_delay
        if low is None or delay < low:
            self._min_delay = low = delay
            self._min_delay_at = sent
        if self._next_min is None or delay < self._next_min:
            self._next_min = delay
        if sent - self._min_delay_at > MIN_DELAY_MEMORY_SECS and self._next_min is not None:
            self._min_delay, self._min_delay_at, self._next_min = self._next_min, sent, None
            low = self._min_delay
        queue = max(delay - low, 0.0)
        delivery = self.delivery
        delivery.queue_max = max(delivery.queue_max, queue)
        if len(self._edge) < EDGE_PACKETS:
            self._edge.append(queue)
        tail = self._tail
        tail.append(queue)
        if len(tail) > EDGE_PACKETS:
            del tail[0]
