"""SRTP protection for the fan-out's hot path, in the session's own buffer (pylibsrtp 1.0).

pylibsrtp's ``Session.protect(packet)`` copies the packet into the session's C buffer,
allocates an ``int *``, protects, and copies the result out as new ``bytes``. A worker
forwarding one publisher to hundreds of subscribers does that for every packet of every
subscriber, after building each packet with ``header + payload`` (another copy). Here
the 12-byte RTP header is packed straight into that buffer, the payload copied after it,
the packet protected in place with ``srtp_protect`` and handed to ``sendto`` as a
memoryview of the buffer: one copy in, none out. The session object stays pylibsrtp's
(aiortc still uses it for RTCP and retransmissions, on the same single thread), so the
packet index and replay state are shared and the bytes are exactly ``protect``'s.
"""

from __future__ import annotations

from typing import Any

from pylibsrtp import Session
from pylibsrtp._binding import ffi, lib  # type: ignore[import-not-found]

from mediaworker.rtp import (
    ONE_WORD_EXTENSION,
    RTP_EXTENSION_BIT,
    RTP_HEADER,
    RTP_NUMBERED_HEADER,
    RTP_VERSION_BYTE,
)

HEADER_BYTES = RTP_HEADER.size
NUMBERED_BYTES = RTP_NUMBERED_HEADER.size
TRAILER_BYTES = 16  # libsrtp's SRTP_MAX_TRAILER_LEN: the tag the protection appends


class SrtpWriter:
    """Protects RTP packets for one SRTP session (the subscriber's) without copies."""

    def __init__(self, session: Session) -> None:
        # Held: the context below is a raw pointer that the session frees when collected.
        self._session = session
        self._context: Any = session._srtp[0]
        self._cdata: Any = session._cdata
        self._buffer: Any = session._buffer
        self._view = memoryview(session._buffer)
        self._length: Any = ffi.new("int *")
        self._room = len(session._buffer) - TRAILER_BYTES

    def protect(
        self, second_byte: int, seq: int, ts: int, ssrc: int, payload: bytes, word: int = 0
    ) -> memoryview | None:
        """The protected packet (valid until the session is used again), or None.

        ``word``: a header extension element to carry (0: none)."""
        start = NUMBERED_BYTES if word else HEADER_BYTES
        end = start + len(payload)
        if end > self._room:
            return None
        buffer = self._buffer
        if word:
            version = RTP_VERSION_BYTE | RTP_EXTENSION_BIT
            RTP_NUMBERED_HEADER.pack_into(
                buffer, 0, version, second_byte, seq, ts, ssrc, ONE_WORD_EXTENSION, word
            )
        else:
            RTP_HEADER.pack_into(buffer, 0, RTP_VERSION_BYTE, second_byte, seq, ts, ssrc)
        buffer[start:end] = payload
        length = self._length
        length[0] = end
        if lib.srtp_protect(self._context, self._cdata, length):
            return None  # libsrtp refused it (a replayed index): drop, as protect would raise
        return self._view[: length[0]]
