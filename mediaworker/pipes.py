"""Pipes between the workers of a room (issue 14, items 3 and 4): who pipes what to whom.

A room spans workers when placement puts members (or a broadcast's viewers) of it on
more than one worker: one pipe per ordered pair of workers and room. Each worker pipes
in, once however many of its own members or viewers watch them, every audio stream of
the room's publishers on each other worker, and the videos (each layer apart) that
something of its own takes: a slot, the recorder, a viewer's program. It says which in
its ``open`` (``want``: at once when that changes, and with every keep-alive). A
100-site briefing's far cameras then cost a worker the nine or so its members watch,
not a hundred, and a layer nobody takes anywhere is paused at its publisher.

* ``PipeHub`` (one per worker): the worker's pipe socket, where every pipe to it ends,
  and the socket its own pipes leave from (mediaworker/forwarding/pipe.py has the RTP).
* ``RoomPipes`` (one per router): the room's pipes in (``InLink``: from a far worker,
  whose publishers appear here as *remote members* fanned out like local ones) and out
  (``OutLink``: to a far worker, a ``PipeOut`` on each of our publishers' sources). The
  router asks for the room's workers every ``OPEN_EVERY_SECS`` and opens a pipe from
  each one it has none from; a far worker's ``state`` says which of its members publish
  what (mediaworker/pipe_wire.py). A pipe with a worker placement no longer lists (it
  died: its lease ran out) is closed, and so is one whose far end fell silent for
  ``SILENT_SECS`` (its room closed and the word was lost): its remote members leave the
  slots as a leaving member would.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from pylibsrtp import Session

from mediaworker.forwarding.pipe import (
    PipedSource,
    PipeEgress,
    PipeOut,
    PipeSocket,
    new_pipe_key,
    pipe_session,
)
from mediaworker.forwarding.sockets import read_until_empty
from mediaworker.members import Member, Send
from mediaworker.peer import PeerSession, Published
from mediaworker.pipe_wire import (
    SILENT_SECS,
    PipedMember,
    PipedStream,
    PipeState,
    parse_address,
    parse_key,
    parse_seqs,
    parse_state,
    parse_want,
    pipe_message,
    state_body,
)

logger = logging.getLogger(__name__)

# The workers a room books units on: (worker id, channel), from placement.
HostLookup = Callable[[str], Awaitable[list[tuple[str, str]]]]


class _Quiet(asyncio.DatagramProtocol):
    """The sending socket's protocol: nothing is expected to arrive there."""


class PipeHub:
    """A worker's pipe sockets and its name on the channel layer."""

    def __init__(
        self, *, worker: str, channel: str, host: str, send: Send, hosts: HostLookup
    ) -> None:
        self.worker = worker
        self.channel = channel
        self.host = host
        self.send = send
        self.hosts = hosts
        self.socket = PipeSocket()
        self.in_address: tuple[str, int] | None = None
        self.out_address: tuple[str, int] | None = None
        self.out_transport: asyncio.DatagramTransport | None = None
        self._in_transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        """Bind both sockets (within ``MEET_MEDIA_UDP_PORTS`` when set: the loop's hook)."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self.socket, local_addr=(self.host, 0)
        )
        self._in_transport = transport
        read_until_empty(transport, self.socket)  # a frame's packets fanned out in one turn
        self.in_address = transport.get_extra_info("sockname")[:2]
        out, _ = await loop.create_datagram_endpoint(_Quiet, local_addr=(self.host, 0))
        self.out_transport = out
        self.out_address = out.get_extra_info("sockname")[:2]

    def close(self) -> None:
        """Close both sockets."""
        for transport in (self._in_transport, self.out_transport):
            if transport is not None:
                transport.close()

    def message(self, action: str, room: str, **body: Any) -> dict[str, Any]:
        """A pipe message from this worker."""
        return pipe_message(action, room=room, worker=self.worker, channel=self.channel, **body)


class PipedSession:
    """What a remote member has of a peer session: its published streams, no slots."""

    state = "connected"

    def __init__(self, peer: str) -> None:
        self.peer = peer
        self.published: dict[str, Published] = {}
        self.slots: list[Any] = []

    def egresses(self) -> list[Any]:
        """A remote member receives nothing here."""
        return []


@dataclass
class InLink:
    """A pipe into this worker: the far worker's publishers of the room."""

    worker: str
    channel: str
    key: bytes
    session: Session
    opened: float
    heard: float | None = None
    address: tuple[str, int] | None = None
    members: dict[str, Member] = field(default_factory=dict)
    state: PipeState | None = None
    wanted: frozenset[int] | None = None  # the videos' SSRCs the far end was last asked for


@dataclass
class OutLink:
    """A pipe out of this worker: our publishers' streams, to the far worker."""

    worker: str
    channel: str
    key: bytes
    egress: PipeEgress
    heard: float
    outs: dict[str, PipeOut] = field(default_factory=dict)  # "<peer>/<source>" -> forward
    wanted: frozenset[int] | None = None  # the videos the far end takes (None: every one)


async def _nothing() -> None:
    return None


class RoomPipes:
    """One room's pipes in and out, kept by its router (one task: no locks)."""

    def __init__(self, room: str, hub: PipeHub, *, refresh: Callable[[], None]) -> None:
        self.room = room
        self.hub = hub
        self.ins: dict[str, InLink] = {}
        self.outs: dict[str, OutLink] = {}
        self._refresh = refresh  # the router refills its slots (remote members changed)
        self._joins = itertools.count(1_000_000)  # after local members in join order

    # -- the pipes into this worker ---------------------------------------------------

    def discover(self, hosts: list[tuple[str, str]], now: float) -> None:
        """Open (or keep open) a pipe from each other worker of the room; close those from
        workers placement no longer lists (dead, or the room left them)."""
        listed = {worker for worker, _ in hosts}
        for worker in [w for w in self.ins if w not in listed]:
            self._close_in(worker, "not in placement")
        for worker in [w for w in self.outs if w not in listed]:
            self._close_out(worker)  # a dead worker reads nothing: stop sending it media
        address = self.hub.in_address
        if address is None:
            return
        for worker, channel in hosts:
            if worker == self.hub.worker:
                continue
            link = self.ins.get(worker)
            if link is None:
                key = new_pipe_key()
                link = InLink(worker, channel, key, pipe_session(key, outbound=False), now)
                self.ins[worker] = link
            self._open(link, address)

    def sync_in(self) -> None:
        """Ask each far worker at once for the videos we take now, when they changed."""
        address = self.hub.in_address
        if address is None:
            return
        for link in self.ins.values():
            if _wanted(link) != link.wanted:
                self._open(link, address)

    def _open(self, link: InLink, address: tuple[str, int]) -> None:
        link.wanted = _wanted(link)
        body = {"address": list(address), "key": link.key.hex(), "want": sorted(link.wanted)}
        self.hub.send(link.channel, self.hub.message("open", self.room, **body))

    def on_state(self, worker: str, message: dict[str, Any], now: float) -> bool:
        """A far worker's ``state``; whether what its publishers send changed."""
        link = self.ins.get(worker)
        state = parse_state(message)
        if link is None or state is None:
            return False
        link.heard = now
        if link.address != state.address:
            self._unroute(link)
            link.address = state.address
            for member in link.members.values():
                for published in member.session.published.values():
                    self._route(link, cast(PipedSource, published.stream))
        old = link.state
        link.state = state
        changed = old is None or _shape(old) != _shape(state)
        seen = set()
        for piped in state.members:
            seen.add(piped.peer)
            changed |= self._update_member(link, piped)
        for peer in [p for p in link.members if p not in seen]:
            self._drop_member(link, peer)
            changed = True
        return changed

    def _update_member(self, link: InLink, piped: PipedMember) -> bool:
        member = link.members.get(piped.peer)
        changed = False
        if member is None:
            member = Member(
                peer=piped.peer,
                reply="",
                name=piped.name,
                joined=next(self._joins),
                session=cast(PeerSession, PipedSession(piped.peer)),
                task=cast(asyncio.Task[None], asyncio.ensure_future(_nothing())),
            )
            link.members[piped.peer] = member
            changed = True
        member.name, member.role = piped.name, piped.role
        published = member.session.published
        streams = {s.source: s for s in piped.streams}
        for source in [s for s in published if s not in streams]:
            self._drop_stream(link, published.pop(source))
            changed = True
        for stream in streams.values():
            changed |= self._update_stream(link, member, stream)
        return changed

    def _update_stream(self, link: InLink, member: Member, stream: PipedStream) -> bool:
        published = member.session.published
        entry = published.get(stream.source)
        changed = False
        if entry is None or cast(PipedSource, entry.stream).media_ssrc != stream.ssrc:
            if entry is not None:
                self._drop_stream(link, entry)
            source = PipedSource(
                stream.kind,
                stream.ssrc,
                self._asker(link, stream.ssrc),
                self._resend_asker(link, stream.ssrc),
            )
            published[stream.source] = Published("", stream.kind, stream.source, source)
            self._route(link, source)
            changed = True
        if member.active.get(stream.source, False) != stream.active:
            member.active[stream.source] = stream.active
            if stream.active:
                member.started[stream.source] = asyncio.get_running_loop().time()
            changed = True
        return changed

    def _asker(self, link: InLink, ssrc: int) -> Callable[[], None]:
        def ask() -> None:
            self.hub.send(link.channel, self.hub.message("keyframe", self.room, ssrc=ssrc))

        return ask

    def _resend_asker(self, link: InLink, ssrc: int) -> Callable[[list[int]], None]:
        def ask(seqs: list[int]) -> None:
            message = self.hub.message("resend", self.room, ssrc=ssrc, seqs=seqs)
            self.hub.send(link.channel, message)

        return ask

    def _route(self, link: InLink, source: PipedSource) -> None:
        if link.address is not None and source.media_ssrc is not None:
            self.hub.socket.routes[(link.address, source.media_ssrc)] = (link.session, source)

    def _unroute(self, link: InLink) -> None:
        if link.address is None:
            return
        for member in link.members.values():
            for published in member.session.published.values():
                self.hub.socket.routes.pop((link.address, published.stream.media_ssrc or 0), None)

    def _drop_stream(self, link: InLink, published: Published) -> None:
        if link.address is not None:
            self.hub.socket.routes.pop((link.address, published.stream.media_ssrc or 0), None)
        published.stream.close()

    def _drop_member(self, link: InLink, peer: str) -> None:
        member = link.members.pop(peer)
        for published in member.session.published.values():
            self._drop_stream(link, published)

    def _close_in(self, worker: str, why: str) -> None:
        link = self.ins.pop(worker, None)
        if link is None:
            return
        if link.heard is not None:
            logger.warning("room %s: pipe from %s closed (%s)", self.room, worker, why)
        for peer in list(link.members):
            self._drop_member(link, peer)
        self._refresh()

    def remote_members(self) -> dict[str, Member]:
        """The far workers' publishers, by peer id."""
        return {p: m for link in self.ins.values() for p, m in link.members.items()}

    def remote_states(self) -> list[PipeState]:
        """What each far worker last said."""
        return [link.state for link in self.ins.values() if link.state is not None]

    def heard_any(self) -> bool:
        """Whether a far worker has said anything yet."""
        return any(link.heard is not None for link in self.ins.values())

    # -- the pipes out of this worker -------------------------------------------------

    def on_open(self, worker: str, channel: str, message: dict[str, Any], now: float) -> bool:
        """A far worker asks for (or keeps) a pipe of our publishers' streams; whether the
        pipe is new or asks for other videos (a keep-alive that changes nothing: False)."""
        address, key = parse_address(message.get("address")), parse_key(message.get("key"))
        transport = self.hub.out_transport
        if address is None or key is None or transport is None:
            return False
        link = self.outs.get(worker)
        opened = link is None or link.key != key
        if link is not None and link.key != key:  # the far end opened anew (restarted)
            self._close_out(worker)
            link = None
        if link is None:
            link = OutLink(worker, channel, key, PipeEgress(transport, address, key), now)
            self.outs[worker] = link
            logger.info("room %s: pipe to %s opened", self.room, worker)
        link.heard = now
        wanted, link.wanted = link.wanted, parse_want(message.get("want"))
        return opened or wanted != link.wanted

    def on_keyframe(self, worker: str, message: dict[str, Any]) -> None:
        """A far worker's subscriber waits for a keyframe of one piped stream."""
        link, ssrc = self.outs.get(worker), message.get("ssrc")
        if link is None:
            return
        for out in link.outs.values():
            if out.ssrc == ssrc and out.source is not None:
                out.source.request_keyframe()

    def on_resend(self, worker: str, message: dict[str, Any]) -> None:
        """A far worker missed packets of one piped video: send again those we hold."""
        link, ssrc = self.outs.get(worker), message.get("ssrc")
        seqs = parse_seqs(message.get("seqs"))
        if link is None or seqs is None:
            return
        for out in link.outs.values():
            if out.ssrc == ssrc and out.kind == "video":
                for seq in seqs:
                    out.retransmit(seq)

    def sync_out(self, members: dict[str, Member], state: PipeState, now: float) -> None:
        """Forward every published stream of ``members`` (ours) into each pipe out, and
        tell each far worker what they are (``state`` without members: filled here)."""
        for worker in [w for w, link in self.outs.items() if now - link.heard > SILENT_SECS]:
            self._close_out(worker)
        if not self.outs:
            return
        piped = []
        for link in self.outs.values():
            wanted = set()
            streams_of: dict[str, list[PipedStream]] = {}
            for member in members.values():
                for source, published in member.session.published.items():
                    key = f"{member.peer}/{source}"
                    wanted.add(key)
                    out = link.outs.get(key)
                    if out is None:
                        out = link.outs[key] = PipeOut(published.kind, link.egress)
                    if not _taken(link, out):
                        out.stop()  # its SSRC still goes out: the far end may ask for it
                    elif out.source is not published.stream:
                        published.stream.attach(out)  # from a keyframe, asked for here
                    streams_of.setdefault(member.peer, []).append(
                        PipedStream(
                            source, published.kind, out.ssrc, bool(member.active.get(source))
                        )
                    )
            for key in [k for k in link.outs if k not in wanted]:
                link.outs.pop(key).stop()
            piped = [
                PipedMember(m.peer, m.name, m.role, tuple(streams_of[m.peer]))
                for m in members.values()
                if m.peer in streams_of
            ]
            body = state_body(
                PipeState(
                    address=self.hub.out_address or ("127.0.0.1", 0),
                    members=tuple(piped),
                    levels=state.levels,
                    broadcasting=state.broadcasting,
                    program=state.program,
                    presenters=state.presenters,
                )
            )
            self.hub.send(link.channel, self.hub.message("state", self.room, **body))

    def _close_out(self, worker: str) -> None:
        link = self.outs.pop(worker, None)
        if link is None:
            return
        logger.info("room %s: pipe to %s closed", self.room, worker)
        for out in link.outs.values():
            out.stop()

    # -- both -------------------------------------------------------------------------

    def expire(self, now: float) -> None:
        """Close the pipes in whose far end fell silent (its worker died)."""
        for worker, link in list(self.ins.items()):
            last = link.heard if link.heard is not None else link.opened
            if now - last > SILENT_SECS:
                self._close_in(worker, "silent")

    def on_closed(self, worker: str) -> None:
        """The far worker's router for the room is gone: drop both pipes with it."""
        self._close_out(worker)
        self._close_in(worker, "its room closed")

    def close(self) -> None:
        """Our router closes: tell every far worker, drop every pipe."""
        channels = {link.channel for link in self.ins.values()}
        channels |= {link.channel for link in self.outs.values()}
        for channel in channels:
            self.hub.send(channel, self.hub.message("closed", self.room))
        for worker in list(self.outs):
            self._close_out(worker)
        for link in self.ins.values():
            for peer in list(link.members):
                self._drop_member(link, peer)
        self.ins.clear()

    @property
    def videos_out(self) -> int:
        """Videos (each layer apart) flowing into the pipes out (the metrics' count)."""
        return sum(
            1
            for link in self.outs.values()
            for out in link.outs.values()
            if out.kind == "video" and out.source is not None
        )

    @property
    def upstream(self) -> int:
        """Pipes into this worker that carry something (the metrics' count)."""
        return sum(1 for link in self.ins.values() if link.heard is not None)


def _wanted(link: InLink) -> frozenset[int]:
    """The far worker's videos something here takes: a slot attached or switching to
    one, the recorder, an edge's viewers (through their slots)."""
    return frozenset(
        source.media_ssrc
        for member in link.members.values()
        for published in member.session.published.values()
        if (source := published.stream).kind == "video"
        and source.media_ssrc is not None
        and (source.outs or source.pending or source.sink is not None)
    )


def _taken(link: OutLink, out: PipeOut) -> bool:
    """Whether the far worker takes ``out``: every audio; a video it asked for."""
    return out.kind != "video" or link.wanted is None or out.ssrc in link.wanted


def _shape(state: PipeState) -> tuple[Any, ...]:
    """What of a far worker's state changes the slots here (not its levels)."""
    return (state.broadcasting, state.program, state.presenters)
