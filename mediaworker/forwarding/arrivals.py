"""When a publisher's packets reached the machine: the kernel's receive time (aiortc 1.16).

Why (issue 13, found by tests/e2e/test_weak_publisher.py): a publisher's uplink is what
Chromium's sender believes the worker's REMB says, and aiortc's REMB comes from a
delay-based estimator fed with each packet's arrival time. aiortc takes that time when
its DTLS loop *dequeues* the datagram from aioice's queue, after every earlier datagram
of the batch was handled — fanned out to each subscriber, SRTP-protected and sent. So
the worker's own work (more subscribers, another process on the core) looks like a
queue building on the publisher's link: the estimator saw "overuse" and cut the REMB.
Measured: two clean publishers on loopback, a third page joins (each packet now goes to
two subscribers instead of one) — their uplink estimate fell from ~1.4 Mbit/s to
90-170 kbit/s and their 640×360 video to a third of its bitrate, on a link that never
lost a packet. libwebrtc, mediasoup and Janus stamp a packet where it is read from the
socket; the kernel's receive stamp (``SO_TIMESTAMPNS``) is earlier still, and also
leaves out the time the socket waited for a busy event loop.

How: ``mediaworker/forwarding/sockets.py`` reads each datagram with its kernel stamp and
says so here while aioice handles it; ``watch`` wraps the aioice connection's
``data_received`` (which queues what is not STUN) so each queued datagram gets its
stamp in the same order, and the ICE transport's ``_recv`` (the DTLS loop's only way to
take from that queue) so the stamp of the datagram being handled is ``current_ms``.
``Source.tap`` hands that to aiortc's receiver instead of its own clock. A datagram
that did not come through our reader (a TURN-relayed pair) has no stamp: aiortc's own
time is kept for it. Times are in aiortc's clock (milliseconds since the NTP epoch), so
the two can mix.
"""

from __future__ import annotations

import socket
import struct
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

# Linux: SO_TIMESTAMPNS (= SCM_TIMESTAMPNS) hands a struct timespec of CLOCK_REALTIME with
# every datagram. Python's socket module does not name it.
SO_TIMESTAMPNS = 35
TIMESPEC = struct.Struct("@qq")
ANCILLARY_BYTES = socket.CMSG_SPACE(TIMESPEC.size)
NTP_EPOCH_OFFSET_MS = 2_208_988_800_000  # 1900-01-01 to 1970-01-01, aiortc's clock.current_ms


class Arrivals:
    """The kernel's receive times of one ICE transport's queued datagrams, in order."""

    def __init__(self) -> None:
        self.reading_ms: int | None = None  # the datagram aioice is handling now
        self.current_ms: int | None = None  # the datagram the DTLS loop is handling now
        self._queued: deque[int | None] = deque()

    def queued(self) -> None:
        """aioice queued the datagram being read (called from its ``data_received``)."""
        self._queued.append(self.reading_ms)

    def taken(self) -> None:
        """The DTLS loop took the oldest queued datagram."""
        self.current_ms = self._queued.popleft() if self._queued else None


_WATCHED: weakref.WeakKeyDictionary[Any, Arrivals] = weakref.WeakKeyDictionary()


def watch(ice_transport: Any) -> Arrivals:
    """The ``Arrivals`` of an ``RTCIceTransport``, wrapping it on the first call."""
    arrivals = _WATCHED.get(ice_transport)
    if arrivals is not None:
        return arrivals
    arrivals = Arrivals()
    connection = ice_transport._connection
    queue_datagram: Callable[[bytes, int], None] = connection.data_received
    take_datagram: Callable[[], Awaitable[bytes]] = ice_transport._recv

    def data_received(data: bytes, component: int) -> None:
        queue_datagram(data, component)
        arrivals.queued()

    async def recv() -> bytes:
        data = await take_datagram()
        arrivals.taken()
        return data

    connection.data_received = data_received
    ice_transport._recv = recv
    _WATCHED[ice_transport] = arrivals
    return arrivals


def watched(ice_transport: Any) -> Arrivals | None:
    """The ``Arrivals`` of an ICE transport ``watch`` wrapped, else None."""
    return _WATCHED.get(ice_transport)


def enable_stamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp every datagram ``sock`` receives; False if it cannot."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def stamp_ms(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    """The kernel's receive time in ``recvmsg``'s ancillary data, in aiortc's clock."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= TIMESPEC.size:
            seconds, nanoseconds = TIMESPEC.unpack_from(data)
            return seconds * 1000 + nanoseconds // 1_000_000 + NTP_EPOCH_OFFSET_MS
    return None
