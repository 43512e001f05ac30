"""A user-space link impairment relay for UDP on loopback (issue 13).

Why: issue 13 has to prove media on weak links (500 kbit/s, 1-5 % loss, 150 ms each way,
links that vanish for 20 s), but this machine's kernel has no ``netem``. This relay sits
between a client and a server and, per direction, limits the rate (a bottleneck with a
bounded queue: what does not fit is dropped, as a real router's queue drops), loses packets
at random (a seeded RNG, so a run can be repeated) and delays them (plus optional jitter).
``cut()``/``restore()``/``drop_for(seconds)`` make the link vanish and come back.

How a WebRTC peer goes through it: we rewrite the *answerer's advertised candidates*
(e.g. the media worker's host candidate) to a single host candidate at the relay's
address, and point the relay at the real candidate. The offerer (the browser, or an aiortc
client: the ICE-controlling side) then knows only the relay, so the pair it nominates runs
through the relay; the answerer learns the relay's upstream socket as a peer-reflexive
candidate and, being the controlled side, sends on that nominated pair. This was chosen
over impairing a TURN relay because it needs no TURN server, no credentials and no change
to the peers' ICE configuration — only one SDP rewrite in the test — and it impairs every
packet (STUN consent checks, DTLS, SRTP, RTCP) exactly as a bad access link would. It does
not make the answerer's *direct* connectivity checks fail, but those pairs are never
nominated, so no media takes them. Keep it on 127.0.0.1; it is test equipment, never
product code.

One relay serves any number of clients: each client address gets its own upstream socket
(like a NAT mapping), so the server can tell them apart.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self, cast

from aioice.candidate import Candidate

Address = tuple[str, int]
_Received = Callable[[bytes, Address], None]
LOOPBACK = "127.0.0.1"


@dataclass
class Impairment:
    """What one direction of the link does to packets; change fields at any time."""

    rate_kbps: float | None = None  # None: no bottleneck
    queue_bytes: int = 30_000  # the bottleneck's buffer; excess is dropped
    loss_percent: float = 0.0
    delay_ms: float = 0.0  # one-way
    jitter_ms: float = 0.0  # extra delay, uniform in [0, jitter_ms]: never below delay_ms


@dataclass
class Counters:
    """What one direction saw and did, for assertions and the benchmark's figures."""

    packets_in: int = 0
    bytes_in: int = 0
    packets_forwarded: int = 0
    bytes_forwarded: int = 0
    dropped_loss: int = 0
    dropped_queue: int = 0
    dropped_cut: int = 0


@dataclass
class _Direction:
    """One direction's settings, counters and bottleneck state."""

    impairment: Impairment
    rng: random.Random
    counters: Counters = field(default_factory=Counters)
    # When the bottleneck finishes sending what it has accepted (loop time).
    busy_until: float = 0.0

    def admit(self, size: int, now: float) -> float | None:
        """The time this packet leaves the link, or None if it is lost or does not fit."""
        self.counters.packets_in += 1
        self.counters.bytes_in += size
        settings = self.impairment
        if settings.loss_percent and self.rng.random() * 100 < settings.loss_percent:
            self.counters.dropped_loss += 1
            return None
        leaves = now
        if settings.rate_kbps:
            bytes_per_sec = settings.rate_kbps * 1000 / 8
            start = max(now, self.busy_until)
            # The backlog is what the bottleneck still has to send: its queue.
            if (start - now) * bytes_per_sec + size > settings.queue_bytes:
                self.counters.dropped_queue += 1
                return None
            self.busy_until = start + size / bytes_per_sec
            leaves = self.busy_until
        delay = settings.delay_ms
        if settings.jitter_ms:
            delay += self.rng.uniform(0, settings.jitter_ms)
        return leaves + delay / 1000


class _Endpoint(asyncio.DatagramProtocol):
    """A socket that hands what it receives to a callback with the sender's address."""

    def __init__(self, received: _Received) -> None:
        self.received = received
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.received(data, addr)


class _Relay:
    """``async with`` a relay: started on entry, closed on exit."""

    async def start(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class UdpRelay(_Relay):
    """Relays UDP between clients and ``upstream``, impairing each direction.

    ``up`` is client -> server, ``down`` is server -> client. Use as
    ``async with UdpRelay(upstream, up=Impairment(...)) as relay`` and send to
    ``relay.address``."""

    def __init__(
        self,
        upstream: Address,
        *,
        up: Impairment | None = None,
        down: Impairment | None = None,
        seed: int = 13,
        listen: Address = (LOOPBACK, 0),
    ) -> None:
        self.upstream = upstream
        self.listen = listen
        # Separate RNGs per direction: one direction's traffic does not shift the other's draws.
        self.up = _Direction(up or Impairment(), random.Random(f"{seed}-up"))
        self.down = _Direction(down or Impairment(), random.Random(f"{seed}-down"))
        self.is_cut = False
        self._front: _Endpoint | None = None
        self._sessions: dict[Address, _Endpoint] = {}
        self._pending: set[asyncio.TimerHandle] = set()
        self._opening: set[asyncio.Task[None]] = set()  # held so none is collected mid-way
        self._restore: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def address(self) -> Address:
        """Where clients send: the relay's listening address."""
        assert self._front is not None and self._front.transport is not None, "not started"
        host, port = self._front.transport.get_extra_info("sockname")[:2]
        return host, port

    async def start(self) -> None:
        """Bind the listening socket."""
        loop = asyncio.get_running_loop()
        front = _Endpoint(self._from_client)
        self._front = front
        await loop.create_datagram_endpoint(lambda: front, local_addr=self.listen)

    async def close(self) -> None:
        """Drop what is in flight and close every socket."""
        self._closed = True
        if self._opening:
            await asyncio.gather(*self._opening, return_exceptions=True)
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
        if self._restore is not None:
            self._restore.cancel()
        for endpoint in [self._front, *self._sessions.values()]:
            if endpoint is not None and endpoint.transport is not None:
                endpoint.transport.close()
        self._sessions.clear()

    def upstream_sockets(self) -> list[Address]:
        """Where the server sees the relay's clients: one address per client, once open."""
        return [
            endpoint.transport.get_extra_info("sockname")[:2]
            for endpoint in self._sessions.values()
            if endpoint.transport is not None
        ]

    def cut(self) -> None:
        """The link goes away: nothing passes either way (in-flight packets are lost too)."""
        self.is_cut = True

    def restore(self) -> None:
        """The link comes back."""
        self.is_cut = False
        if self._restore is not None:
            self._restore.cancel()
            self._restore = None

    def drop_for(self, seconds: float) -> None:
        """Cut the link now and restore it after ``seconds``."""
        self.cut()
        if self._restore is not None:
            self._restore.cancel()
        self._restore = asyncio.get_running_loop().call_later(seconds, self.restore)

    def _from_client(self, data: bytes, client: Address) -> None:
        session = self._sessions.get(client)
        if session is None:
            if self._closed:
                return
            session = _Endpoint(
                lambda reply, _addr: self._pass(self.down, reply, self._front, client)
            )
            self._sessions[client] = session
            # Connecting the upstream socket takes a loop turn; queue the first packet after it.
            task = asyncio.get_running_loop().create_task(self._open(session, data))
            self._opening.add(task)
            task.add_done_callback(self._opening.discard)
            return
        self._pass(self.up, data, session, None)

    async def _open(self, session: _Endpoint, first: bytes) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(
            lambda: session, local_addr=(LOOPBACK, 0), remote_addr=self.upstream
        )
        if self._closed:
            assert session.transport is not None
            session.transport.close()
            return
        self._pass(self.up, first, session, None)

    def _pass(
        self, direction: _Direction, data: bytes, out: _Endpoint | None, to: Address | None
    ) -> None:
        loop = asyncio.get_running_loop()
        if self.is_cut:
            direction.counters.packets_in += 1
            direction.counters.bytes_in += len(data)
            direction.counters.dropped_cut += 1
            return
        leaves = direction.admit(len(data), loop.time())
        if leaves is None:
            return
        self._send_at(leaves, direction, data, out, to)

    def _send_at(
        self,
        when: float,
        direction: _Direction,
        data: bytes,
        out: _Endpoint | None,
        to: Address | None,
    ) -> None:
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def send() -> None:
            self._pending.discard(handle)
            # asyncio may run a timer up to its clock resolution early: never deliver early.
            if loop.time() < when:
                self._send_at(when, direction, data, out, to)
                return
            if self.is_cut:
                direction.counters.dropped_cut += 1
                return
            if out is None or out.transport is None or out.transport.is_closing():
                return
            out.transport.sendto(data, to)
            direction.counters.packets_forwarded += 1
            direction.counters.bytes_forwarded += len(data)

        handle = loop.call_at(when, send)
        self._pending.add(handle)


def first_candidate(sdp: str) -> Address:
    """The address of the first UDP candidate in ``sdp`` (the relay's upstream)."""
    for line in sdp.splitlines():
        if line.startswith("a=candidate:"):
            candidate = Candidate.from_sdp(line[len("a=") :])
            if candidate.transport.lower() == "udp":
                return candidate.host, candidate.port
    raise ValueError("no UDP candidate in the description")


def advertise_through(sdp: str, relay: Address) -> str:
    """``sdp`` with every candidate replaced by one host candidate at ``relay`` (in each
    m-line that had candidates: aiortc takes a bundle's candidates from its last one)."""
    lines: list[str] = []
    placed = in_media = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            in_media = False
        if line.startswith("a=candidate:"):
            if not in_media:
                # One component (bundle + rtcp-mux); a fixed foundation and priority suffice.
                lines.append(f"a=candidate:1 1 udp 2130706431 {relay[0]} {relay[1]} typ host")
                placed = in_media = True
            continue
        if line.startswith("c=IN IP4 "):
            line = f"c=IN IP4 {relay[0]}"
        lines.append(line)
    if not placed:
        raise ValueError("no candidate to replace in the description")
    return "\r\n".join(lines) + "\r\n"


async def relay_for(
    answer_sdp: str,
    *,
    up: Impairment | None = None,
    down: Impairment | None = None,
    seed: int = 13,
) -> tuple[str, UdpRelay]:
    """A started relay towards the answer's first candidate, and the answer rewritten to it."""
    upstream = first_candidate(answer_sdp)
    relay = UdpRelay(upstream, up=up, down=down, seed=seed)
    await relay.start()
    return advertise_through(answer_sdp, relay.address), relay


class TcpRelay(_Relay):
    """Relays TCP connections (a page's HTTP and WebSocket) to ``upstream``; the link can
    vanish.

    ``cut()`` drops every open connection (both ends see a reset, as when a phone's
    mobile data goes and its connections die) and holds new ones: they are accepted, but
    nothing they send goes anywhere, as if the client's packets were lost.
    ``cut(reset=False)`` is the quieter failure: open connections stay open but nothing
    passes either way, so neither end learns of it until its own timeouts. ``restore()``
    lets everything held through with what was sent meanwhile (TCP would have
    retransmitted it), and new connections pass at once again. Loopback only."""

    def __init__(self, upstream: Address, *, listen: Address = (LOOPBACK, 0)) -> None:
        self.upstream = upstream
        self.listen = listen
        self.is_cut = False
        self.connections_cut = 0
        self._link_up = asyncio.Event()
        self._link_up.set()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()  # both ends of each relayed connection
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def address(self) -> Address:
        """Where clients connect."""
        assert self._server is not None, "not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    async def start(self) -> None:
        """Listen."""
        self._server = await asyncio.start_server(self._accepted, *self.listen)

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        self._closed = True
        if self._server is not None:
            self._server.close()
        self._drop_all()
        self._link_up.set()  # held connections wake up, see the relay closed and go
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def cut(self, *, reset: bool = True) -> None:
        """The link goes away: open connections are reset (or go silent), new ones held."""
        self.is_cut = True
        self._link_up.clear()
        self.connections_cut += len(self._open) // 2
        if reset:
            self._drop_all()

    def restore(self) -> None:
        """The link comes back: held connections go through."""
        self.is_cut = False
        self._link_up.set()

    def _drop_all(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()  # a reset, not a polite close
        self._open.clear()

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._link_up.wait()  # held while the link is cut
            if self._closed:
                writer.transport.abort()
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            except OSError:
                writer.transport.abort()
                return
            pair = {writer, up_writer}
            self._open |= pair
            await asyncio.gather(
                self._pump(reader, up_writer), self._pump(up_reader, writer), return_exceptions=True
            )
            for end in pair:
                self._open.discard(end)
                end.transport.abort()
        finally:
            self._tasks.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self._link_up.wait()  # a silent cut: held, then delivered late
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            return
        finally:
            # The other side closed its sending half: pass the end of data on.
            if not writer.transport.is_closing() and writer.can_write_eof():
                writer.write_eof()
