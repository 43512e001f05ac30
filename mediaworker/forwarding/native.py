"""The fan-out's compiled helper (fanout.c), and what Python keeps of its state.

``fanout.c`` holds each subscriber connection's send state (``struct fan_egress``: SRTP
context, socket, address, the arena of held packets, counters) and each slot's
(``struct fan_slot``: offsets, payload types, counters), and forwards one publisher
packet to all of a source's steady slots in one call (``Source.forward``). Python keeps
the rare cases and reads the counters through the objects here.

Where the helper did not build (no C compiler at install) or is turned off
(``MEET_MEDIA_NATIVE_FANOUT=off``, for bench/fanout.py's comparison), the same counters
live in plain Python objects and the worker forwards as before (``batch.py``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from collections.abc import Callable
from typing import Any, overload

from pylibsrtp import Session
from pylibsrtp._binding import ffi as srtp_ffi  # type: ignore[import-not-found]
from pylibsrtp._binding import lib as srtp_lib

from mediaworker.forwarding.srtp import SrtpWriter
from mediaworker.transport_cc import SentLog

logger = logging.getLogger(__name__)

try:
    from mediaworker.forwarding._fanout import ffi, lib  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - built at install where a C compiler is found
    ffi = lib = None
else:
    # pylibsrtp's own srtp_protect: the helper protects with the library (and session
    # state) aiortc uses for the rest of the connection, and needs no libsrtp headers.
    lib.fan_init(int(srtp_ffi.cast("uintptr_t", srtp_ffi.addressof(srtp_lib, "srtp_protect"))))

_enabled = [lib is not None]
_TROUBLE_BATCH = 64


def built() -> bool:
    """Whether the compiled helper is installed."""
    return lib is not None


def use_native(on: bool) -> None:
    """This process's choice (``MEET_MEDIA_NATIVE_FANOUT``); off without the helper.
    Taken before any connection: the state objects are made by the chosen path."""
    if on and lib is None:
        logger.warning(
            "the fan-out's compiled helper is not installed (no C compiler when meet "
            "was installed): forwarding in Python, with about half the subscribers per core"
        )
    _enabled[0] = on and lib is not None


class SlotCounters:
    """A slot's counters where the helper is not used (the fields Python reads)."""

    __slots__ = ("last_seq", "last_ts", "packets", "octets")

    def __init__(self) -> None:
        self.last_seq = self.last_ts = self.packets = self.octets = 0


class EgressCounters:
    """A connection's send counters where the helper is not used (same fields)."""

    __slots__ = ("sent_packets", "sent_octets", "buffered")

    def __init__(self) -> None:
        self.sent_packets = self.sent_octets = self.buffered = 0


class Field:
    """An int attribute kept in a state object (the helper's C structure or its Python
    twin above), named ``holder`` on the owner: ``packets = Field("_slot")``."""

    def __init__(self, holder: str) -> None:
        self._holder = holder
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Field: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> int: ...

    def __get__(self, obj: object | None, objtype: type | None = None) -> int | Field:
        if obj is None:
            return self
        return int(getattr(getattr(obj, self._holder), self._name))

    def __set__(self, obj: object, value: int) -> None:
        setattr(getattr(obj, self._holder), self._name, value)


def new_slot() -> Any:
    """A slot's state: the helper's ``struct fan_slot`` (freed with the object)."""
    if not _enabled[0]:
        return SlotCounters()
    return ffi.gc(lib.fan_slot_new(), lib.fan_slot_free)


def new_egress() -> Any:
    """A connection's state: the helper's ``struct fan_egress`` (freed with the object)."""
    if not _enabled[0]:
        return EgressCounters()
    return _native_egress()


def _native_egress() -> Any:
    return ffi.gc(lib.fan_egress_new(), lib.fan_egress_free)


def is_native(state: Any) -> bool:
    """Whether ``state`` (``new_slot``/``new_egress``) is the helper's."""
    return not isinstance(state, (SlotCounters, EgressCounters))


# -- the end of the event-loop turn, and connections whose flush stopped ----------------

_owners: dict[int, weakref.ref[NativeBatch]] = {}
_scheduled: list[asyncio.AbstractEventLoop | None] = [None]


def address(pointer: Any) -> int:
    """A C pointer as a dictionary key."""
    return int(ffi.cast("uintptr_t", pointer))


def settle() -> None:
    """After a call into the helper: hand stopped batches over, schedule the flush."""
    pending = lib.fan_pending()
    if pending & 1:
        _take_troubled()
    if pending & 2:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to end a turn (a connection closed outside one)
            _flush_due()
            return
        _scheduled[0] = loop
        loop.call_soon(_flush_due)


def _flush_due() -> None:
    _scheduled[0] = None
    lib.fan_flush_due()
    if lib.fan_pending() & 1:
        _take_troubled()


def _take_troubled() -> None:
    out = ffi.new("struct fan_egress *[]", _TROUBLE_BATCH)
    while True:
        n = lib.fan_take_troubled(out, _TROUBLE_BATCH)
        for i in range(n):
            ref = _owners.get(address(out[i]))
            owner = ref() if ref is not None else None
            if owner is not None:
                owner.settle()
            else:
                lib.fan_settled(out[i])
        if n < _TROUBLE_BATCH:
            return


def _check_schedule() -> None:
    """A flush scheduled on a loop that is gone (a test's) would never run."""
    loop = _scheduled[0]
    if loop is not None and (loop.is_closed() or loop is not asyncio.get_running_loop()):
        _scheduled[0] = None
        lib.fan_reset_schedule()


class NativeBatch:
    """``batch.SendBatch`` through the helper: the same calls and reports.

    ``state`` is the connection's ``struct fan_egress`` (the Egress's counters); ``log``
    numbers every packet with transport-wide sequence numbers under ``word_id``."""

    native = True

    def __init__(
        self,
        session: Session,
        sock: socket.socket,
        transport: Any,
        addr: Any,
        name: bytes,
        *,
        on_backlog: Callable[[], None],
        on_gone: Callable[[], None],
        state: Any = None,
        log: SentLog | None = None,
        word_id: int = 0,
        overhead: int = 22,
    ) -> None:
        _check_schedule()
        self._session = session  # held: the context below is freed with the session
        self._state = state if state is not None else _native_egress()
        self._sock = sock
        self._transport = transport
        self._addr = addr
        self._on_backlog = on_backlog
        self._on_gone = on_gone
        self._writer = SrtpWriter(session)
        e = self._state
        if e.count:
            lib.fan_flush(e)  # what an earlier route holds goes first
            settle()
        segments = sock.type == socket.SOCK_DGRAM and sock.family in (
            socket.AF_INET,
            socket.AF_INET6,
        )
        # Held: the helper writes into the log's arrays through these pointers.
        self._log = log
        if log is not None:
            e.sent_at = ffi.cast("double *", ffi.from_buffer(log.sent_at))
            e.sent_sizes = ffi.cast("uint32_t *", ffi.from_buffer(log.sizes))
            e.next_seq = ffi.cast("uint64_t *", ffi.from_buffer(log.counter))
            e.word_id = word_id
        e.overhead = overhead
        lib.fan_route(e, session._srtp[0], sock.fileno(), name, len(name), int(segments))
        _owners[address(e)] = weakref.ref(self)

    @property
    def segments(self) -> bool:
        """Whether equal-sized packets go out as one segmented message."""
        return bool(self._state.segments)

    @property
    def count(self) -> int:
        """Packets held."""
        return int(self._state.count)

    @property
    def syscalls(self) -> int:
        """``sendmmsg`` calls made (tests, benchmarks)."""
        return int(self._state.syscalls)

    def add(
        self, second_byte: int, seq: int, ts: int, ssrc: int, payload: bytes, word: int = 0
    ) -> bool:
        """Write, protect and hold one RTP packet; False if it cannot be sent here.
        ``word`` is ignored: the helper numbers packets itself when given a log."""
        e = self._state
        held = lib.fan_add(e, second_byte, seq, ts, ssrc, payload, len(payload))
        settle()
        if held >= 0 or e.srtp == ffi.NULL:
            return held > 0
        if not self._transport.get_write_buffer_size():  # asyncio's buffer drained
            e.buffered = 0
            return self.add(second_byte, seq, ts, ssrc, payload)
        # Behind what waits in asyncio's buffer, protected here (the same session).
        word = 0
        if self._log is not None:
            word = e.word_id | (self._log.stamp(len(payload) + e.overhead) << 8)
        protected = self._writer.protect(second_byte, seq, ts, ssrc, payload, word)
        if protected is None:
            return False
        self._transport.sendto(bytes(protected), self._addr)
        e.sent_packets += 1
        e.sent_octets += len(payload) + e.overhead
        return True

    def flush(self) -> None:
        """Send what is held now (a retransmission must go behind it)."""
        if self._state.count:
            lib.fan_flush(self._state)
            settle()

    def close(self) -> None:
        """The route is gone: send what is held, then nothing more through it."""
        self.flush()
        lib.fan_unroute(self._state)
        _owners.pop(address(self._state), None)

    def settle(self) -> None:
        """The helper stopped this connection's flush: hand the rest over, or report
        the socket gone."""
        e = self._state
        if e.status == lib.FAN_BACKLOG:
            view = ffi.buffer(e.arena, lib.FAN_SLOTS * lib.FAN_SLOT_BYTES)
            for i in range(e.backlog_from, e.held):
                offset = e.offsets[i]
                self._transport.sendto(bytes(view[offset : offset + e.sizes[i]]), self._addr)
            lib.fan_settled(e)
            self._on_backlog()
        elif e.status == lib.FAN_GONE:
            lib.fan_settled(e)
            _owners.pop(address(e), None)
            self._on_gone()
