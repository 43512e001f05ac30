"""aiortc hooks for test and benchmark peers (not used by the worker itself)."""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtp import RtpPacket


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` when the remote end asks this sender for a keyframe (PLI/FIR).

    For a sender fed with encoded packets (``av.Packet``), aiortc's own handling only
    sets a flag its encoder never reads; test and benchmark publishers use this to
    send a keyframe of their own.
    """
    original = sender._send_keyframe

    def send_keyframe() -> None:
        original()
        callback()

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]


class FrameCounter:
    """Counts a receiver's frames (RTP timestamps) and packets, and nothing else.

    For load generators: a viewer that neither decodes nor runs aiortc's receive
    statistics costs its process only SRTP and parsing.
    """

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self.frames = 0
        self.packets = 0
        self._ts = -1
        original_receive = receiver.receive

        async def receive(parameters: RTCRtpReceiveParameters) -> None:
            await original_receive(parameters)
            receiver._RTCRtpReceiver__stop_decoder()  # type: ignore[attr-defined]

        async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
            self.packets += 1
            if packet.timestamp != self._ts:
                self._ts = packet.timestamp
                self.frames += 1

        receiver.receive = receive  # type: ignore[method-assign]
        receiver._handle_rtp_packet = handle  # type: ignore[method-assign]
