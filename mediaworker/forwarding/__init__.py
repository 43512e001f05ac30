"""RTP-level forwarding: the one module that reaches into aiortc internals.

Written and tested for aiortc 1.16 (pyproject pins ``aiortc>=1.16,<1.17``; importing
this module with another version fails loudly). What it touches, and why:

* Publisher side — ``RTCRtpReceiver``: ``_handle_rtp_packet`` is wrapped so every
  parsed RTP packet is fanned out before aiortc sees it; its jitter buffer is replaced
  by a no-op and its decoder thread is stopped, because nothing here decodes. aiortc
  still keeps receiver statistics, sends RR, NACK and REMB to the publisher. Keyframe
  requests go upstream with ``_send_rtcp_pli(media_ssrc)`` (shared/MEASURED.md).
* Arrival times — the aioice connection's ``data_received`` and the ICE transport's
  ``_recv`` are wrapped so each queued datagram keeps the kernel's receive stamp, which
  the tapped receiver's ``_handle_rtp_packet`` gets instead of aiortc's dequeue time
  (``arrivals.py``: aiortc's time counted the worker's own work as uplink congestion).
* Subscriber side — ``RTCRtpSender``: it keeps its SSRC, m-line and SDP role, but its
  track never yields (``SlotTrack``) and its RTCP loop is idle; incoming RTCP for it
  (PLI/FIR, NACK) is handled here through ``_handle_rtcp_packet``. We write each
  packet ourselves: a fresh 12-byte header (payload type, sequence number, timestamp
  and SSRC rewritten per subscriber slot) + the publisher's payload, protected with
  the DTLS transport's SRTP session (``_tx_srtp``) and sent on the ICE pair aioice
  nominated (``Connection._nominated``) — no depacketize, jitter buffer, repacketize
  or per-packet coroutine. Sender reports for all slots of a connection go out in
  one compound RTCP packet per second (``Egress``).

Slow subscribers: each connection's socket buffer is its queue. When it holds more
than ``limit_bytes`` at a frame boundary, that subscriber's slot skips to the next
keyframe (and asks for one); sequence numbers stay contiguous, so the subscriber sees
a clean cut, never a half frame.

Layout: ``source.py`` (publisher side), ``arrivals.py`` (its packets' arrival
times), ``outbound.py`` (subscriber side: ``Egress``,
``Outbound``, ``SlotTrack``), ``probes.py`` (for test and benchmark peers).
"""

from __future__ import annotations

import aiortc

if not aiortc.__version__.startswith("1.16."):  # pragma: no cover - guarded by pyproject
    raise ImportError(f"mediaworker.forwarding needs aiortc 1.16.x, found {aiortc.__version__}")

from mediaworker.forwarding.outbound import Egress, Outbound, SlotTrack  # noqa: E402
from mediaworker.forwarding.probes import FrameCounter, on_keyframe_request  # noqa: E402
from mediaworker.forwarding.source import RING_MASK, RING_SIZE, Source  # noqa: E402

__all__ = [
    "RING_MASK",
    "RING_SIZE",
    "Egress",
    "FrameCounter",
    "Outbound",
    "SlotTrack",
    "Source",
    "on_keyframe_request",
]
