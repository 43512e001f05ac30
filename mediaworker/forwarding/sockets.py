"""The worker's UDP sockets: read every waiting datagram, with room for bursts.

asyncio's datagram transport reads one datagram per event-loop iteration. On the
worker one iteration can fan a publisher's packet out to hundreds of slots, so at a
few hundred subscribers, during a join storm, a publisher's socket was read slower
than it filled: its 200 KB buffer overflowed, media was lost and, with it, aioice's
consent checks — the publisher's connection expired (bench/fanout.py). Each socket of
a worker connection is therefore read until it is empty on every readiness event, and
asks the kernel for a larger receive buffer.

Hostile datagrams are dropped here (found by tests/mediaworker/test_fuzz_worker.py,
issue 10): anyone can send to the worker's ports. aiortc 1.16's DTLS transport reads
``data[0]`` of whatever aioice hands it, so one empty datagram ended its receive loop
and closed the participant's connection; and aioice's STUN parser raises on
malformed attributes, which ended the batch with a logged traceback.

Each datagram is read with the kernel's receive stamp, for the publishers' bandwidth
estimate (``mediaworker/forwarding/arrivals.py`` says why).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

from aiortc import RTCPeerConnection

from mediaworker.forwarding.arrivals import (
    ANCILLARY_BYTES,
    Arrivals,
    enable_stamps,
    stamp_ms,
    watch,
)

RECEIVE_BUFFER_BYTES = 1 << 21  # the kernel caps it at net.core.rmem_max
MAX_DATAGRAM_BYTES = 1 << 16
MAX_BATCH = 256  # datagrams per readiness event, so one socket cannot starve the loop


class _Stats:
    """Datagrams dropped because aioice could not parse them (tests, diagnostics)."""

    malformed = 0


stats = _Stats()


def drain_sockets(pc: RTCPeerConnection) -> None:
    """Make every ICE socket of ``pc`` drain fully per event (after local gathering)."""
    loop: Any = asyncio.get_running_loop()
    if not hasattr(loop, "_add_reader"):  # not a selector loop: keep asyncio's reader
        return
    seen: set[int] = set()
    for transceiver in pc.getTransceivers():
        ice = transceiver.receiver.transport.transport
        arrivals = watch(ice)
        for protocol in ice._connection._protocols:
            transport = getattr(protocol, "transport", None)
            sock = getattr(transport, "_sock", None)
            if not isinstance(sock, socket.socket) or sock.fileno() in seen:
                continue
            seen.add(sock.fileno())
            read_until_empty(transport, protocol, arrivals if enable_stamps(sock) else None)


def read_until_empty(transport: Any, protocol: Any, stamps: Arrivals | None = None) -> None:
    """Make one asyncio datagram transport read every waiting datagram per readiness
    event, with a larger receive buffer (nothing changes on a loop without selectors).

    Also the pipe socket's (mediaworker/pipes.py): read one datagram per loop iteration,
    an edge worker's piped packets each went out in a turn of their own, one
    ``sendmmsg`` per packet and viewer instead of one per frame (bench/scaleout.py)."""
    loop: Any = asyncio.get_running_loop()
    sock = getattr(transport, "_sock", None)
    if not hasattr(loop, "_add_reader") or not isinstance(sock, socket.socket):
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    except OSError:
        pass
    # The transport's own (private) reader registration, replaced: public add_reader
    # refuses a transport's fd. Closing the transport removes ours.
    loop._remove_reader(sock.fileno())
    loop._add_reader(sock.fileno(), _drain, transport, sock, protocol, stamps)


def _drain(transport: Any, sock: socket.socket, protocol: Any, stamps: Arrivals | None) -> None:
    ancillary: list[tuple[int, int, bytes]] = []
    for _ in range(MAX_BATCH):
        if transport._conn_lost:
            return
        try:
            if stamps is None:
                data, addr = sock.recvfrom(MAX_DATAGRAM_BYTES)
            else:
                data, ancillary, _flags, addr = sock.recvmsg(MAX_DATAGRAM_BYTES, ANCILLARY_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            protocol.error_received(exc)
            return
        if not data:
            continue  # aiortc's DTLS loop reads data[0]: it would end the connection
        if stamps is not None:
            stamps.reading_ms = stamp_ms(ancillary)
        try:
            protocol.datagram_received(data, addr)
        except Exception:
            # aioice's STUN parser raises on malformed attributes (struct.error…): a
            # datagram anyone can send must cost nothing but itself. No log: a flood
            # of them must not become a flood of tracebacks.
            stats.malformed += 1
        if stamps is not None:
            stamps.reading_ms = None  # what comes another way (TURN) has no kernel stamp
