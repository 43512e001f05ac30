"""mediaworker.forwarding against real aiortc peers on loopback, without the router.

These pin what the module assumes about aiortc 1.16's internals: a tapped receiver
never decodes, a slot's packets are decodable by a real receiver, keyframe requests
and NACKs travel the right way, and sequence numbers stay contiguous through source
switches and congestion skips.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import RtpPacket
from av import VideoFrame

from mediaworker import ice
from mediaworker.forwarding import Egress, Outbound, Source, native, on_keyframe_request
from mediaworker.forwarding.native import NativeBatch
from tests.mediaworker.client import PatternTrack


def _pc() -> RTCPeerConnection:
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


async def _negotiate(offerer: RTCPeerConnection, answerer: RTCPeerConnection) -> None:
    await offerer.setLocalDescription(await offerer.createOffer())
    await answerer.setRemoteDescription(offerer.localDescription)
    for transceiver in answerer.getTransceivers():
        if transceiver.direction == "recvonly" and transceiver._offerDirection == "sendonly":
            transceiver.direction = "sendonly"
    await answerer.setLocalDescription(await answerer.createAnswer())
    await offerer.setRemoteDescription(answerer.localDescription)


@dataclass
class Published:
    pc: RTCPeerConnection
    server: RTCPeerConnection
    source: Source
    receiver_transceiver: RTCRtpTransceiver
    keyframe_requests: list[float] = field(default_factory=list)


@dataclass
class Subscribed:
    pc: RTCPeerConnection
    server: RTCPeerConnection
    out: Outbound
    transceiver: RTCRtpTransceiver
    sizes: list[tuple[int, int]] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class Bench:
    """Publishers and subscribers wired by hand through a forwarding 'server'."""

    def __init__(self, *, batch_sends: bool, compiled: bool = False) -> None:
        self.pcs: list[RTCPeerConnection] = []
        self.batch_sends = batch_sends
        self.compiled = compiled

    async def publish(self, width: int, height: int) -> Published:
        pc, server = _pc(), _pc()
        self.pcs += [pc, server]
        sender_transceiver = pc.addTransceiver(PatternTrack(width, height), direction="sendonly")
        requests: list[float] = []
        loop = asyncio.get_running_loop()
        on_keyframe_request(sender_transceiver.sender, lambda: requests.append(loop.time()))
        await pc.setLocalDescription(await pc.createOffer())
        await server.setRemoteDescription(pc.localDescription)
        transceiver = server.getTransceivers()[0]
        source = Source("video")
        source.tap(transceiver.receiver)
        await server.setLocalDescription(await server.createAnswer())
        await pc.setRemoteDescription(server.localDescription)
        return Published(pc, server, source, transceiver, requests)

    async def subscribe(self) -> Subscribed:
        pc, server = _pc(), _pc()
        self.pcs += [pc, server]
        transceiver = pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        await server.setRemoteDescription(pc.localDescription)
        slot = server.getTransceivers()[0]
        slot.direction = "sendonly"
        egresses: dict[RTCDtlsTransport, Egress] = {}

        def egress_for(sender: RTCRtpSender) -> Egress:
            egress = egresses.get(sender.transport)
            if egress is None:
                egress = Egress(sender.transport, batch_sends=self.batch_sends)
                egresses[sender.transport] = egress
            return egress

        out = Outbound(slot.sender, egress_for)
        await server.setLocalDescription(await server.createAnswer())
        await pc.setRemoteDescription(server.localDescription)
        sub = Subscribed(pc, server, out, transceiver)
        original = transceiver.receiver._handle_rtp_packet

        async def record(packet: RtpPacket, arrival_time_ms: int) -> None:
            sub.seqs.append(packet.sequence_number)
            await original(packet, arrival_time_ms)

        transceiver.receiver._handle_rtp_packet = record  # type: ignore[method-assign]
        sub.task = asyncio.ensure_future(self._decode(sub))
        return sub

    async def _decode(self, sub: Subscribed) -> None:
        track = sub.transceiver.receiver.track
        try:
            while True:
                frame = await track.recv()
                assert isinstance(frame, VideoFrame)
                sub.sizes.append((frame.width, frame.height))
        except MediaStreamError:
            pass

    async def close(self) -> None:
        await asyncio.gather(*(pc.close() for pc in self.pcs))


@pytest.fixture(params=["compiled", "batched", "per-packet"])
async def bench(request: pytest.FixtureRequest) -> AsyncIterator[Bench]:
    """Every way out: the compiled fan-out (forwarding/native.py), one sendmmsg per
    connection and turn from Python, and one sendto per packet."""
    compiled = request.param == "compiled"
    if compiled and not native.built():
        pytest.skip("the fan-out's compiled helper is not installed")
    native.use_native(compiled)
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    bench = Bench(batch_sends=request.param != "per-packet", compiled=compiled)
    yield bench
    await bench.close()
    ice.restore_host_addresses()
    native.use_native(native.built())


async def until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def watching(bench: Bench, *, frames: int) -> tuple[Published, Subscribed]:
    """A 160×120 publisher and one subscriber of it that has decoded ``frames`` frames."""
    published = await bench.publish(160, 120)
    sub = await bench.subscribe()
    published.source.attach(sub.out)
    await until(lambda: len(sub.sizes) >= frames)
    return published, sub


def contiguous(seqs: list[int]) -> bool:
    """No sequence number is missing between the first and the last received."""
    unique = sorted({(s - seqs[0]) & 0xFFFF for s in seqs})
    return unique == list(range(unique[-1] + 1))


async def test_forwards_encoded_frames_without_decoding(bench: Bench) -> None:
    published, sub = await watching(bench, frames=10)
    assert set(sub.sizes) == {(160, 120)}
    receiver = published.receiver_transceiver.receiver
    assert receiver._RTCRtpReceiver__decoder_thread is None  # type: ignore[attr-defined]
    assert published.source.frames >= 10 and sub.out.packets > 0
    assert published.keyframe_requests  # asked for one when the slot became ready
    assert contiguous(sub.seqs)


async def test_subscriber_keyframe_requests_reach_the_publisher_throttled(bench: Bench) -> None:
    published, sub = await watching(bench, frames=5)
    await asyncio.sleep(0.35)
    before = len(published.keyframe_requests)
    receiver = sub.transceiver.receiver
    for _ in range(5):  # a burst of PLIs from the viewer...
        await receiver._send_rtcp_pli(sub.out.ssrc)
    await until(lambda: len(published.keyframe_requests) > before)
    await asyncio.sleep(0.1)
    assert len(published.keyframe_requests) == before + 1  # ...is one request upstream


async def test_switching_source_keeps_the_subscriber_decoding(bench: Bench) -> None:
    first = await bench.publish(160, 120)
    second = await bench.publish(176, 144)
    sub = await bench.subscribe()
    first.source.attach(sub.out)
    await until(lambda: (160, 120) in sub.sizes)
    second.source.attach(sub.out)  # on the next keyframe of the second publisher
    await until(lambda: sub.sizes[-1] == (176, 144))
    await until(lambda: sub.sizes.count((176, 144)) >= 10)
    assert sub.out not in first.source.outs
    assert contiguous(sub.seqs)


async def test_congested_subscriber_skips_to_a_keyframe_alone(bench: Bench) -> None:
    published = await bench.publish(160, 120)
    slow, fast = await bench.subscribe(), await bench.subscribe()
    published.source.attach(slow.out)
    published.source.attach(fast.out)
    await until(lambda: len(slow.sizes) >= 5 and len(fast.sizes) >= 5)
    egress = slow.out.egress
    assert egress is not None
    egress.limit_bytes, egress._buffered = -1, True  # its queue is "over the limit"
    await until(lambda: slow.out.skips > 0)
    requests = len(published.keyframe_requests)
    fast_frames, slow_frames = len(fast.sizes), len(slow.sizes)
    await asyncio.sleep(0.2)
    assert len(fast.sizes) - fast_frames >= 4  # the others are not held back
    egress.limit_bytes = 256_000  # it catches up: resume on the next keyframe
    await until(lambda: len(slow.sizes) >= slow_frames + 5)
    assert len(published.keyframe_requests) > requests
    assert contiguous(slow.seqs)


async def test_lost_packets_are_resent_from_the_ring(bench: Bench) -> None:
    published, sub = await watching(bench, frames=5)
    assert (sub.out.egress is not None) and (sub.out.egress._batch is not None) == (
        bench.batch_sends
    )
    # The network drops one packet on its way to the viewer (before its SRTP, which
    # would refuse the packet sent again as a replay had it decrypted the first)...
    ice_transport = sub.pc.getTransceivers()[0].receiver.transport.transport
    receive, lost = ice_transport._recv, list[int]()

    async def lose_one() -> bytes:
        while True:
            data = await receive()
            if lost or not 128 <= data[0] < 192 or 192 <= data[1] <= 223:
                return data  # not RTP (DTLS, RTCP), or one is lost already
            lost.append(int.from_bytes(data[2:4], "big"))

    ice_transport._recv = lose_one
    await until(lambda: bool(lost))
    assert lost[0] not in sub.seqs
    # ...the viewer's NACK brings it back from the source's ring.
    await until(lambda: lost[0] in sub.seqs)
    assert contiguous(sub.seqs)


async def test_a_lost_packet_counts_once_however_often_it_is_asked_for(bench: Bench) -> None:
    """Issue 13: a browser asks again every round trip (and, after a switch down, for
    the old layer's packets, which are never resent); counted each time, a relieved
    link looked lossy and was cut to audio."""
    _, sub = await watching(bench, frames=5)
    egress = sub.out.egress
    assert egress is not None
    egress.take_window()
    egress.on_nack(sub.out.ssrc, [10, 11])
    egress.on_nack(sub.out.ssrc, [10, 11, 12])
    assert egress.take_window().nacked == 3
    egress.on_nack(sub.out.ssrc, [11, 12, 13])  # asked again a round trip later
    assert egress.take_window().nacked == 1


async def test_a_path_that_cannot_segment_goes_back_to_sendto(bench: Bench) -> None:
    """Issue 14: separate messages in one sendmmsg cost as much as sendto from Python, so
    a connection whose kernel or device refuses UDP segmentation sends one by one."""
    if not bench.batch_sends:
        pytest.skip("the per-packet path has no batch")
    _, sub = await watching(bench, frames=5)
    egress = sub.out.egress
    assert egress is not None and egress._batch is not None
    held, sendto, sent = egress._batch, egress._sendto, list[bytes]()

    def count(data: bytes, addr: tuple[str, int]) -> None:
        sent.append(bytes(data))
        sendto(data, addr)

    egress._sendto = count
    held.flush()  # what this turn holds goes out as it was laid out
    before = held.syscalls
    frames = len(sub.sizes)
    if isinstance(held, NativeBatch):
        # Compiled, separate messages cost no Python: it goes on with sendmmsg.
        held._state.segments = 0
        await until(lambda: len(sub.sizes) >= frames + 5)
        assert not sent and held.syscalls > before
    else:
        held.segments = False  # as after an EIO from a device without checksum offload
        await until(lambda: len(sub.sizes) >= frames + 5)
        assert sent and held.syscalls == before
    assert contiguous(sub.seqs)


async def test_a_pair_nominated_anew_is_taken_at_once(bench: Bench) -> None:
    """The compiled fan-out sends on the pair it was given: when aioice nominates one
    (a network change), the connection is routed again before the next packet."""
    if not bench.compiled:
        pytest.skip("the Python paths look the pair up on every packet")
    _, sub = await watching(bench, frames=5)
    egress = sub.out.egress
    assert egress is not None
    first = egress._batch
    assert isinstance(first, NativeBatch)
    connection = egress._dtls.transport._connection
    connection._nominated[1] = connection._nominated[1]  # as aioice does (here the same pair)
    assert egress._batch is None and first._state.srtp == native.ffi.NULL
    frames = len(sub.sizes)
    await until(lambda: len(sub.sizes) >= frames + 5)
    assert isinstance(egress._batch, NativeBatch) and egress._batch is not first
    assert contiguous(sub.seqs)
