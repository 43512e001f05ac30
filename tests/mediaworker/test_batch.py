"""Batched sends against real sockets (issue 14, item 7): from Python
(mediaworker/forwarding/batch.py) and through the compiled fan-out (forwarding/native.py).

Every packet reaches every destination once, in order, decryptable, with far fewer
system calls than packets; a socket that says EAGAIN part-way through a batch loses
nothing (the rest waits in the asyncio transport's buffer, behind which later batches
queue up).
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from pylibsrtp import Policy, Session

from mediaworker.forwarding import batch, native
from mediaworker.forwarding.batch import SLOTS, SendBatch, sockaddr
from mediaworker.forwarding.native import NativeBatch
from mediaworker.transport_cc import LOG_MASK, SentLog, element_bits

pytestmark = pytest.mark.skipif(not batch.available(), reason="no sendmmsg in this libc")

SSRC = 0x5EED
PROFILE = Policy.SRTP_PROFILE_AES128_CM_SHA1_80


def sessions() -> tuple[Session, Session]:
    """A sender's session and the receiver's, on one key."""
    key = os.urandom(30)
    tx = Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=PROFILE)
    rx = Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=PROFILE)
    return Session(policy=tx), Session(policy=rx)


def payload(destination: int, seq: int) -> bytes:
    """Frames of five packets: four of one size and a shorter last one, as a packetizer
    cuts them (segmented sends), and now and then an odd size (a run of its own)."""
    size = 300 if seq % 5 == 4 else 1100
    if seq % 37 == 0:
        size = 700
    return struct.pack("!HH", destination, seq) * (size // 4)


def received_in_order(rx: Session, datagrams: list[bytes], destination: int) -> list[int]:
    """The sequence numbers of the decrypted packets; each payload checked."""
    seqs = []
    for data in datagrams:
        packet = rx.unprotect(data)
        seq = struct.unpack_from("!H", packet, 2)[0]
        assert packet[12:] == payload(destination, seq)
        seqs.append(seq)
    return seqs


class Counted:
    """What the batch told its connection."""

    def __init__(self) -> None:
        self.backlogs = 0
        self.gone = 0

    def backlog(self) -> None:
        self.backlogs += 1

    def closed(self) -> None:
        self.gone += 1


@pytest.fixture(params=["python", "compiled"])
def Batch(request: pytest.FixtureRequest) -> Any:  # noqa: N802 - a class, as the tests call it
    """Each way: SendBatch, and the compiled helper's NativeBatch."""
    if request.param == "python":
        return SendBatch
    if not native.built():
        pytest.skip("the fan-out's compiled helper is not installed")
    return NativeBatch


async def turn_ends() -> None:
    """Let the loop run the end-of-turn send (scheduled with call_soon)."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


@pytest.fixture
def receivers() -> Iterator[list[socket.socket]]:
    socks = []
    for _ in range(48):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        sock.setblocking(False)
        socks.append(sock)
    yield socks
    for sock in socks:
        sock.close()


def drain(sock: socket.socket) -> list[bytes]:
    datagrams = []
    while True:
        try:
            datagrams.append(sock.recv(4096))
        except BlockingIOError:
            return datagrams


async def test_every_packet_reaches_every_socket_once_in_order(
    receivers: list[socket.socket], Batch: Any
) -> None:
    loop = asyncio.get_running_loop()
    senders: list[tuple[Any, Any, Session]] = []
    told = Counted()
    for receiver in receivers:
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        sock = transport.get_extra_info("socket")._sock  # asyncio wraps it: the real one
        address = receiver.getsockname()
        name = sockaddr(socket.AF_INET, address)
        assert name is not None
        tx, rx = sessions()
        held = Batch(
            tx, sock, transport, address, name, on_backlog=told.backlog, on_gone=told.closed
        )
        senders.append((transport, held, rx))
    arrived: list[list[bytes]] = [[] for _ in receivers]
    turns, per_turn = 4, 23  # more than SLOTS: a full batch goes out before the turn ends
    for turn in range(turns):
        for k in range(per_turn):  # the fan-out's order: one packet to everyone, the next
            seq = turn * per_turn + k
            for destination, (_, held, _) in enumerate(senders):
                data = payload(destination, seq)
                assert held.add(0x80 | 96, seq, seq * 3000, SSRC, data)
        await turn_ends()
        for receiver, got in zip(receivers, arrived, strict=True):
            got += drain(receiver)  # read as a viewer does (a socket buffer is not a queue)
    packets = turns * per_turn
    deadline = loop.time() + 10
    while any(len(got) < packets for got in arrived):  # softirqs may run a bit later
        assert loop.time() < deadline, [len(got) for got in arrived]
        await asyncio.sleep(0.01)
        for receiver, got in zip(receivers, arrived, strict=True):
            got += drain(receiver)
    for destination, (got, (transport, held, rx)) in enumerate(zip(arrived, senders, strict=True)):
        assert received_in_order(rx, got, destination) == list(range(packets))
        assert held.segments  # a UDP socket: equal sizes went out as one segmented message
        assert held.syscalls <= turns * -(-per_turn // SLOTS)  # one per batch, not per packet
        transport.close()
    assert (told.backlogs, told.gone) == (0, 0)


async def full_socket(tag: str) -> tuple[socket.socket, socket.socket, Any, str, bytes]:
    """A Unix datagram socket whose peer does not read: it says EAGAIN as soon as its
    small send buffer is full (loopback UDP never does: the kernel frees each datagram
    as it is delivered). Receiver, sender, the sender's asyncio transport, the path and
    its C address."""
    loop = asyncio.get_running_loop()
    path = f"\0meet-{tag}-{os.getpid()}-{id(loop)}"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    receiver.setblocking(False)
    sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    transport, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, sock=sender)
    name = struct.pack("=H", socket.AF_UNIX) + path.encode()
    return receiver, sender, transport, path, name


async def test_a_full_socket_loses_nothing_and_keeps_the_order(Batch: Any) -> None:
    """EAGAIN at the first message and part-way through a batch (``full_socket``)."""
    loop = asyncio.get_running_loop()
    receiver, sender, transport, path, name = await full_socket("batch")
    told = Counted()
    tx, rx = sessions()
    held = Batch(tx, sender, transport, path, name, on_backlog=told.backlog, on_gone=told.closed)
    assert not held.segments  # not UDP: one datagram per packet
    packets = 160
    for seq in range(packets):
        assert held.add(0x80 | 96, seq, seq * 3000, SSRC, payload(0, seq))
        if seq % 7 == 6:  # batches of seven (a partial send leaves part of one behind)
            await turn_ends()
    await turn_ends()
    assert told.backlogs > 0 and transport.get_write_buffer_size() > 0
    datagrams: list[bytes] = []
    deadline = loop.time() + 10
    while len(datagrams) < packets:  # read: the transport's buffer drains behind us
        assert loop.time() < deadline, f"only {len(datagrams)} of {packets} arrived"
        datagrams += drain(receiver)
        await asyncio.sleep(0.005)
    assert received_in_order(rx, datagrams, 0) == list(range(packets))
    assert told.gone == 0
    transport.close()
    receiver.close()


async def test_a_closed_socket_is_reported_not_raised(Batch: Any) -> None:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    sock = transport.get_extra_info("socket")._sock
    address = ("127.0.0.1", 9)
    name = sockaddr(socket.AF_INET, address)
    assert name is not None
    told = Counted()
    tx, _ = sessions()
    held = Batch(tx, sock, transport, address, name, on_backlog=told.backlog, on_gone=told.closed)
    assert held.add(0x80 | 96, 1, 3000, SSRC, payload(0, 1))
    transport.close()
    await asyncio.sleep(0.01)  # the transport closes its socket on the next turn
    held.add(0x80 | 96, 2, 6000, SSRC, payload(0, 2))
    await turn_ends()
    assert told.gone == 1 and held.count == 0


@pytest.mark.parametrize(
    ("family", "address", "length"),
    [
        (socket.AF_INET, ("127.0.0.1", 5004), 16),
        (socket.AF_INET6, ("::1", 5004, 0, 0), 28),
        (socket.AF_INET, ("not-an-address", 5004), None),
    ],
)
def test_socket_addresses(family: int, address: tuple[Any, ...], length: int | None) -> None:
    name = sockaddr(family, address)
    assert (None if name is None else len(name)) == length
    if name is not None:
        assert struct.unpack_from("=H", name)[0] == family
        assert struct.unpack_from("!H", name, 2)[0] == 5004


async def test_numbered_and_plain_packets_mix_in_one_batch(
    receivers: list[socket.socket],
) -> None:
    """A numbered packet's header is 8 bytes longer (mediaworker/transport_cc.py): in one
    batch with plain ones, each arrives whole, with its own header."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    sock = transport.get_extra_info("socket")._sock
    receiver = receivers[0]
    name = sockaddr(socket.AF_INET, receiver.getsockname())
    assert name is not None
    tx, rx = sessions()
    told = Counted()
    held = SendBatch(
        tx,
        sock,
        transport,
        receiver.getsockname(),
        name,
        on_backlog=told.backlog,
        on_gone=told.closed,
    )
    for seq in range(12):
        word = element_bits(3) | (seq << 8) if seq % 3 else 0
        assert held.add(0x80 | 96, seq, seq * 3000, SSRC, payload(0, seq), word)
    await turn_ends()
    got: list[bytes] = []
    deadline = loop.time() + 10
    while len(got) < 12:
        assert loop.time() < deadline, len(got)
        await asyncio.sleep(0.01)
        got += drain(receiver)
    for seq, datagram in enumerate(got):
        clear = rx.unprotect(datagram)
        if seq % 3:
            assert clear[0] == 0x90 and clear[12:16] == bytes.fromhex("BEDE0001")
            assert clear[16:20] == bytes([0x31, 0, seq, 0])
            assert clear[20:] == payload(0, seq)
        else:
            assert clear[0] == 0x80 and clear[12:] == payload(0, seq)
        assert struct.unpack_from("!H", clear, 2)[0] == seq
    transport.close()


def _twin_sessions() -> tuple[Session, Session, Session]:
    """Two senders on one key (the same packet, the same bytes) and a receiver."""
    key = os.urandom(30)
    tx = [
        Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=PROFILE))
        for _ in range(2)
    ]
    rx = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=PROFILE))
    return tx[0], tx[1], rx


async def test_the_helper_writes_the_bytes_python_writes(receivers: list[socket.socket]) -> None:
    """fanout.c's header, numbering and protection, byte for byte against srtp.py's."""
    if not native.built():
        pytest.skip("the fan-out's compiled helper is not installed")
    from mediaworker.forwarding.srtp import SrtpWriter

    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    sock = transport.get_extra_info("socket")._sock
    receiver = receivers[0]
    name = sockaddr(socket.AF_INET, receiver.getsockname())
    assert name is not None
    compiled_tx, python_tx, rx = _twin_sessions()
    log, word_id = SentLog(), element_bits(3)
    told = Counted()
    held = NativeBatch(
        compiled_tx,
        sock,
        transport,
        receiver.getsockname(),
        name,
        on_backlog=told.backlog,
        on_gone=told.closed,
        log=log,
        word_id=word_id,
        overhead=30,
    )
    writer = SrtpWriter(python_tx)
    expected = []
    for seq in range(40):
        marker = 0x80 if seq % 5 == 4 else 0
        data = payload(0, seq)
        assert held.add(marker | 96, seq, seq * 3000, SSRC, data)
        word = word_id | (seq << 8)
        protected = writer.protect(marker | 96, seq, seq * 3000, SSRC, data, word)
        assert protected is not None
        expected.append(bytes(protected))
        if seq % 7 == 6:
            await turn_ends()
    await turn_ends()
    got: list[bytes] = []
    deadline = loop.time() + 10
    while len(got) < len(expected):
        assert loop.time() < deadline, len(got)
        await asyncio.sleep(0.01)
        got += drain(receiver)
    assert got == expected
    assert rx.unprotect(got[4])[16:20] == bytes([0x31, 0, 4, 0])
    assert log.next_seq == 40
    assert [log.sizes[i & LOG_MASK] for i in range(40)] == [
        len(payload(0, seq)) + 30 for seq in range(40)
    ]
    assert all(log.sent_at[i] > 0 for i in range(40))
    assert (told.backlogs, told.gone) == (0, 0)
    transport.close()


async def test_numbers_stay_one_sequence_behind_a_full_socket() -> None:
    """After EAGAIN the rest goes through asyncio's buffer, numbered by Python from the
    same log: no number is skipped or used twice (the browser would take a gap for a
    lost packet and a link cut for nothing)."""
    if not native.built():
        pytest.skip("the fan-out's compiled helper is not installed")
    loop = asyncio.get_running_loop()
    receiver, sender, transport, path, name = await full_socket("numbered")
    told = Counted()
    tx, rx = sessions()
    log = SentLog()
    held = NativeBatch(
        tx,
        sender,
        transport,
        path,
        name,
        on_backlog=told.backlog,
        on_gone=told.closed,
        log=log,
        word_id=element_bits(5),
        overhead=30,
    )
    packets = 160
    for seq in range(packets):
        assert held.add(0x80 | 96, seq, seq * 3000, SSRC, payload(0, seq))
        if seq % 7 == 6:
            await turn_ends()
    await turn_ends()
    assert told.backlogs > 0
    datagrams: list[bytes] = []
    deadline = loop.time() + 10
    while len(datagrams) < packets:
        assert loop.time() < deadline, f"only {len(datagrams)} of {packets} arrived"
        datagrams += drain(receiver)
        await asyncio.sleep(0.005)
    numbers = []
    for data in datagrams:
        clear = rx.unprotect(data)
        assert clear[0] == 0x90 and clear[12:16] == bytes.fromhex("BEDE0001")
        assert clear[20:] == payload(0, struct.unpack_from("!H", clear, 2)[0])
        numbers.append(struct.unpack_from("!H", clear, 17)[0])
    assert numbers == list(range(packets))
    assert log.next_seq == packets
    transport.close()
    receiver.close()


def test_a_worker_with_the_helper_registers_twice_the_capacity() -> None:
    """Placement's default for a worker follows the fan-out it will run (docs/benchmarks.md:
    1,634 per core compiled, 604 in Python, same run)."""
    from mediaworker.config import capacity_units
    from placement.costs import COMPILED_CAPACITY_UNITS, DEFAULT_CAPACITY_UNITS

    off = capacity_units({"MEET_MEDIA_NATIVE_FANOUT": "off"})
    assert off == DEFAULT_CAPACITY_UNITS
    expected = COMPILED_CAPACITY_UNITS if native.built() else DEFAULT_CAPACITY_UNITS
    assert capacity_units({}) == expected
    assert capacity_units({"MEET_MEDIA_CAPACITY_UNITS": "900"}) == 900
