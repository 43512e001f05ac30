"""Batched sends for the fan-out: a connection's packets of one event-loop turn, one syscall.

Each forwarded packet used to cost one ``sendto``: a Python call that parses the
address tuple, and a system call that takes the datagram through the whole IP stack
(bench/fanout.py: ``sendto`` took ~40 % of the worker at a few hundred subscribers).
Here a connection's packets are protected straight into slots of its own buffer and, at
the end of the event-loop turn (or when the slots are full), all go out with one
``sendmmsg`` to the address resolved once per ICE pair. The publisher's packets of a
frame arrive together and are fanned out in one turn, so a subscriber's batch is about
a frame's worth (more under load, when more arrive per turn).

A frame's packets are mostly of one size (a packetizer cuts a frame into equal parts
and a shorter last one): such a run goes out as one message with UDP segmentation
offload (``UDP_SEGMENT``), which the kernel takes through the IP stack once and cuts into
datagrams at the end (or leaves to the network card) — on loopback ~1.4 µs of CPU a
datagram against ~3.4 µs for separate messages and ~4.5 µs for ``sendto``
(bench/sends.py). Where the path cannot (no checksum offload: EIO; an old kernel:
EINVAL), the batch sends what it holds one datagram per message and says so
(``segments`` False): separate messages in one ``sendmmsg`` cost as much per packet as
``sendto`` once Python has written their C structures, so the connection goes back to
``sendto``.

``sendmmsg`` comes from the C library through cffi's ABI mode (no compiler): where it is
missing (not Linux), ``available()`` is False and the caller keeps its per-packet
``sendto``. Order per destination holds: slots go out in the order they were filled,
and once the socket says EAGAIN the rest is handed to the asyncio transport, whose
buffer keeps the order; the caller then sends through that transport until it drains.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import struct
import weakref
from collections.abc import Callable
from typing import Any

from cffi import FFI  # type: ignore[import-untyped]
from pylibsrtp import Session
from pylibsrtp._binding import ffi as srtp_ffi  # type: ignore[import-not-found]
from pylibsrtp._binding import lib as srtp_lib

from mediaworker.forwarding.srtp import HEADER_BYTES, NUMBERED_BYTES, TRAILER_BYTES
from mediaworker.rtp import (
    ONE_WORD_EXTENSION,
    RTP_EXTENSION_BIT,
    RTP_HEADER,
    RTP_NUMBERED_HEADER,
    RTP_VERSION_BYTE,
)

SLOTS = 16  # packets held per connection before they go out anyway (a keyframe has more)
SLOT_BYTES = 1536  # the largest protected packet: header, payload and SRTP tag
_ROOM_BYTES = SLOTS * SLOT_BYTES - TRAILER_BYTES  # where a packet may end before its tag

_ffi = FFI()
_ffi.cdef(
    """
    struct iovec { void *iov_base; size_t iov_len; };
    struct msghdr {
        void *msg_name; unsigned int msg_namelen;
        struct iovec *msg_iov; size_t msg_iovlen;
        void *msg_control; size_t msg_controllen;
        int msg_flags;
    };
    struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
    struct segment_cmsg {  /* CMSG_SPACE(sizeof(uint16_t)) bytes: cmsghdr, then the size */
        size_t cmsg_len; int cmsg_level; int cmsg_type;
        unsigned short size; unsigned char pad[6];
    };
    int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
    """
)
try:
    _sendmmsg: Any = _ffi.dlopen(None).sendmmsg
except (OSError, AttributeError):  # pragma: no cover - not Linux
    _sendmmsg = None

_protect: Any = srtp_lib.srtp_protect
_BACKLOG = frozenset({errno.EAGAIN, errno.EWOULDBLOCK})
_GONE = frozenset({errno.EBADF, errno.ENOTSOCK})
# UDP segmentation offload (Linux >= 4.18): equal-sized datagrams to one address as one
# message that the kernel (or the network card) cuts. A device without checksum offload
# says EIO, an old kernel or a too-large segment EINVAL: that batch sends them one by one.
SOL_UDP = 17
UDP_SEGMENT = 103
_NO_SEGMENTS = frozenset({errno.EIO, errno.EINVAL, errno.ENOPROTOOPT, errno.EOPNOTSUPP})
_CMSG_LEN = _ffi.offsetof("struct segment_cmsg", "size") + 2  # CMSG_LEN(sizeof(uint16_t))
_CMSG_SPACE = _ffi.sizeof("struct segment_cmsg")
_ONE = [0, 1]  # one message of one packet (read only)


def available() -> bool:
    """Whether this system's C library has ``sendmmsg``."""
    return _sendmmsg is not None


def sockaddr(family: int, addr: tuple[Any, ...]) -> bytes | None:
    """The C ``sockaddr`` of a numeric address for a socket of ``family``, or None."""
    try:
        info = socket.getaddrinfo(
            addr[0], addr[1], family, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST
        )
    except (OSError, IndexError, UnicodeError):
        return None
    resolved: Any = info[0][4]
    port = struct.pack("!H", resolved[1])
    if family == socket.AF_INET:
        return struct.pack("=H", family) + port + socket.inet_aton(resolved[0]) + bytes(8)
    if family == socket.AF_INET6:
        host = socket.inet_pton(socket.AF_INET6, resolved[0].split("%")[0])
        flow, scope = struct.pack("!I", resolved[2]), struct.pack("=I", resolved[3])
        return struct.pack("=H", family) + port + flow + host + scope
    return None


class _Turn:
    """The batches of one event loop that hold packets; sent when the turn ends."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: list[SendBatch] = []

    def add(self, batch: SendBatch) -> None:
        if not self._due:
            self._loop.call_soon(self._flush)
        self._due.append(batch)

    def _flush(self) -> None:
        due, self._due = self._due, []
        for batch in due:
            batch.flush()


_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Turn] = weakref.WeakKeyDictionary()


def _turn() -> _Turn:
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = _Turn(loop)
    return turn


class SendBatch:
    """One connection's protected packets, waiting for the end of the event-loop turn.

    Packets lie end to end in one buffer, so a run of them is one ``iovec``. Cost per
    packet: the header packed and the payload copied into the buffer, ``srtp_protect``
    in place; the C structures are written once per message, not per packet.

    ``on_backlog``: the socket was full; the rest went to ``transport``'s buffer and
    the caller must send through it until it drains. ``on_gone``: the socket closed."""

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
    ) -> None:
        self._session = session  # held: the context below is freed with the session
        self._context: Any = session._srtp[0]
        self._length: Any = srtp_ffi.new("int *")
        self._arena: Any = srtp_ffi.new("unsigned char[]", SLOTS * SLOT_BYTES)
        self._view = memoryview(srtp_ffi.buffer(self._arena))
        self._base = int(srtp_ffi.cast("uintptr_t", self._arena))
        self._name: Any = _ffi.new("char[]", name)
        self._iov: Any = _ffi.new("struct iovec[]", SLOTS)
        self._mmsg: Any = _ffi.new("struct mmsghdr[]", SLOTS)
        self._cmsg: Any = _ffi.new("struct segment_cmsg[]", SLOTS)
        for i in range(SLOTS):
            header = self._mmsg[i].msg_hdr
            header.msg_name = self._name
            header.msg_namelen = len(name)
            header.msg_iov = self._iov + i
            header.msg_iovlen = 1
            cmsg = self._cmsg[i]
            cmsg.cmsg_len, cmsg.cmsg_level, cmsg.cmsg_type = _CMSG_LEN, SOL_UDP, UDP_SEGMENT
        self._iovs = [self._iov[i] for i in range(SLOTS)]
        self._headers = [self._mmsg[i].msg_hdr for i in range(SLOTS)]
        self._cmsgs = [self._cmsg[i] for i in range(SLOTS)]
        self._cmsg_at = [self._cmsg + i for i in range(SLOTS)]
        self._offsets = [0] * SLOTS
        self._sizes = [0] * SLOTS
        # What each message's C structures hold already: most turns lay out the same
        # messages again (a frame's packets from the start of the buffer), and a cffi
        # write costs as much as a bytecode line, so unchanged fields are not written.
        self._iov_offsets = [-1] * SLOTS
        self._segment_sizes = [0] * SLOTS  # 0: the message has no control data
        self._used = 0  # bytes of the buffer taken
        # Segmentation is UDP's: on another socket the kernel would ignore the size.
        self.segments = sock.type == socket.SOCK_DGRAM and sock.family in (
            socket.AF_INET,
            socket.AF_INET6,
        )
        self._sock = sock
        self._transport = transport
        self._addr = addr
        self._on_backlog = on_backlog
        self._on_gone = on_gone
        self._turn = _turn()
        self.count = 0
        self.syscalls = 0  # sendmmsg calls made (tests, benchmarks)

    def add(
        self, second_byte: int, seq: int, ts: int, ssrc: int, payload: bytes, word: int = 0
    ) -> bool:
        """Write, protect and hold one RTP packet; False if it cannot be sent (too big,
        or libsrtp refused it: a replayed index), as ``SrtpWriter.protect`` drops it.
        ``word``: a header extension element to carry (0: none)."""
        head = NUMBERED_BYTES if word else HEADER_BYTES
        clear = head + len(payload)
        if clear > SLOT_BYTES - TRAILER_BYTES:
            return False
        at = self._used
        if at + clear > _ROOM_BYTES:
            self.flush()
            at = 0
        view = self._view
        if word:
            version = RTP_VERSION_BYTE | RTP_EXTENSION_BIT
            RTP_NUMBERED_HEADER.pack_into(
                view, at, version, second_byte, seq, ts, ssrc, ONE_WORD_EXTENSION, word
            )
        else:
            RTP_HEADER.pack_into(view, at, RTP_VERSION_BYTE, second_byte, seq, ts, ssrc)
        view[at + head : at + clear] = payload
        length = self._length
        length[0] = clear
        if _protect(self._context, self._arena + at, length):
            return False
        i = self.count
        self._offsets[i] = at
        self._sizes[i] = size = length[0]
        self._used = at + size
        self.count = i + 1
        if i == 0:
            self._turn.add(self)
        elif i + 1 == SLOTS:
            self.flush()
        return True

    def flush(self) -> None:
        """Send what is held, in order: one ``sendmmsg`` unless the socket objects."""
        count = self.count
        if not count:
            return
        self.count = self._used = 0
        fd = self._sock.fileno()
        if fd < 0:
            self._on_gone()
            return
        if self._transport.get_write_buffer_size():
            self._hand_over(0, count)  # packets wait there already: ours go behind them
            return
        starts = self._plan(0, count) if count > 1 else self._one()
        message = 0
        while message < len(starts) - 1:
            self.syscalls += 1
            vector = self._mmsg + message if message else self._mmsg
            sent = _sendmmsg(fd, vector, len(starts) - 1 - message, 0)
            if sent > 0:
                message += sent
                continue
            code = _ffi.errno
            if code == errno.EINTR:
                continue
            if code in _BACKLOG:
                self._hand_over(starts[message], count)
                return
            if code in _GONE:
                self._on_gone()
                return
            first, last = starts[message], starts[message + 1]
            if self.segments and last - first > 1 and code in _NO_SEGMENTS:
                self.segments = False  # this path cannot: one datagram per packet from now
                starts, message = self._plan(first, count), 0
                continue
            message += 1  # refused (EMSGSIZE, EPERM...): dropped, as sendto's would be

    def _plan(self, first: int, count: int) -> list[int]:
        """Lay packets ``first``..``count`` out as messages from the first mmsghdr on: a
        run of equal sizes (and one smaller after it) is one segmented message. The
        first packet of each message, then ``count``."""
        sizes, offsets = self._sizes, self._offsets
        starts: list[int] = []
        segments = self.segments
        i = first
        while i < count:
            size = sizes[i]
            j = i + 1
            if segments:
                while j < count and sizes[j] == size:
                    j += 1
                if j < count and sizes[j] < size:
                    j += 1  # the last segment may be shorter
            m = len(starts)
            iov, offset = self._iovs[m], offsets[i]
            if self._iov_offsets[m] != offset:
                iov.iov_base = _ffi.cast("void *", self._base + offset)
                self._iov_offsets[m] = offset
            iov.iov_len = offsets[j - 1] + sizes[j - 1] - offset
            segment = size if j - i > 1 else 0
            if self._segment_sizes[m] != segment:
                self._set_segment(m, segment)
            starts.append(i)
            i = j
        starts.append(count)
        return starts

    def _one(self) -> list[int]:
        """``_plan`` for a lone packet (a quiet turn), at the start of the buffer."""
        if self._iov_offsets[0]:
            self._iovs[0].iov_base = _ffi.cast("void *", self._base)
            self._iov_offsets[0] = 0
        self._iovs[0].iov_len = self._sizes[0]
        if self._segment_sizes[0]:
            self._set_segment(0, 0)
        return _ONE

    def _set_segment(self, message: int, segment: int) -> None:
        header = self._headers[message]
        if segment:
            self._cmsgs[message].size = segment
            header.msg_control = self._cmsg_at[message]
            header.msg_controllen = _CMSG_SPACE
        else:
            header.msg_control = _ffi.NULL
            header.msg_controllen = 0
        self._segment_sizes[message] = segment

    def _hand_over(self, start: int, count: int) -> None:
        view, transport, addr = self._view, self._transport, self._addr
        for i in range(start, count):
            offset = self._offsets[i]
            transport.sendto(bytes(view[offset : offset + self._sizes[i]]), addr)
        self._on_backlog()
