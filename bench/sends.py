"""The fan-out's way out, alone: CPU per forwarded packet for each way of sending it.

    .venv/bin/python -m bench.sends [--subscribers 200] [--frames 300] [--rounds 3]

One process plays the worker's hot path without aiortc: for each of ``--subscribers``
loopback UDP sockets (each with its own sending socket and SRTP session, as a worker's
subscriber connections have), every frame's five packets (four of 1,150 bytes and one
of 600, as a packetizer cuts a ~1.4 Mbps 30 fps frame) are protected and sent by

* ``sendto``: ``SrtpWriter`` and one ``sendto`` per packet (``MEET_MEDIA_BATCH_SENDS=off``);
* ``sendmmsg``: ``SendBatch`` with UDP segmentation turned off: one ``sendmmsg`` per
  subscriber and event-loop turn, one datagram per message;
* ``sendmmsg + GSO``: ``SendBatch`` as the worker runs it (equal-sized packets as one
  segmented message);
* ``numbered``: the same, each packet numbered as for a browser that sends transport-cc
  feedback (``SentLog.stamp`` and the 8-byte header extension, as ``Egress.forward``
  does: mediaworker/transport_cc.py). It also pays one Python call more than the row
  above (the wrapper that numbers), which the worker pays in both cases
  (``Egress.forward``): its difference to the row above is an upper bound.

A second process reads every socket, as the viewers would; CPU is the sending process's
own (user + system: on loopback the kernel also delivers each datagram in the sender's
context). The ways take turns, ``--rounds`` times, so a busy machine weighs on each
alike. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import selectors
import socket
import statistics
import time
from collections.abc import Callable
from typing import Any

from pylibsrtp import Policy, Session

from mediaworker.forwarding.batch import SendBatch, available, sockaddr
from mediaworker.forwarding.srtp import SrtpWriter
from mediaworker.transport_cc import SentLog, element_bits

NUMBERED_OVERHEAD = 30  # Egress's count of a numbered packet's bytes besides its payload

SIZES = (1150, 1150, 1150, 1150, 600)
WAYS = ("sendto", "sendmmsg", "sendmmsg + GSO", "numbered")


def cpu_secs() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def session() -> Session:
    policy = Policy(
        key=os.urandom(28),
        ssrc_type=Policy.SSRC_ANY_OUTBOUND,
        srtp_profile=Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    )
    return Session(policy=policy)


def read_until_quiet(receivers: list[socket.socket]) -> None:
    """The viewers: read every socket until nothing has come for two seconds."""
    selector = selectors.DefaultSelector()
    for sock in receivers:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 2.0:
        for key, _ in selector.select(0.1):
            quiet_since = time.monotonic()
            try:
                while True:
                    key.fileobj.recv(4096)  # type: ignore[union-attr]
            except BlockingIOError:
                pass


async def senders(way: str, receivers: list[socket.socket]) -> list[Callable[..., Any]]:
    """One send function per subscriber: (second byte, seq, ts, ssrc, payload)."""
    loop = asyncio.get_running_loop()
    sends: list[Callable[..., Any]] = []
    for receiver in receivers:
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        sock = transport.get_extra_info("socket")._sock
        address = receiver.getsockname()
        if way == "sendto":
            writer, sendto = SrtpWriter(session()), sock.sendto

            def send(
                *packet: Any, writer: Any = writer, sendto: Any = sendto, to: Any = address
            ) -> None:
                sendto(writer.protect(*packet), to)

            sends.append(send)
            continue
        name = sockaddr(socket.AF_INET, address)
        assert name is not None
        held = SendBatch(
            session(), sock, transport, address, name, on_backlog=_nothing, on_gone=_nothing
        )
        held.segments = way != "sendmmsg"
        if way == "numbered":

            def numbered(
                second: int,
                seq: int,
                ts: int,
                ssrc: int,
                payload: bytes,
                add: Any = held.add,
                log: SentLog = SentLog(),  # noqa: B008 - one per subscriber, made here
                bits: int = element_bits(5),
            ) -> None:
                word = bits | (log.stamp(len(payload) + NUMBERED_OVERHEAD) << 8)
                add(second, seq, ts, ssrc, payload, word)

            sends.append(numbered)
            continue
        sends.append(held.add)
    return sends


def _nothing() -> None:
    pass


async def one_way(way: str, subscribers: int, frames: int, per_turn: int) -> float:
    """µs of CPU per packet sent ``way`` to ``subscribers`` sockets."""
    receivers = []
    for _ in range(subscribers):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        receivers.append(sock)
    reader = os.fork()
    if reader == 0:
        read_until_quiet(receivers)
        os._exit(0)
    sends = await senders(way, receivers)
    payloads = [bytes(size) for size in SIZES]
    started = cpu_secs()
    seq = 0
    for _ in range(frames):
        for k, payload in enumerate(payloads):  # the fan-out's order: a packet to all
            seq += 1
            for send in sends:
                send(0x80 | 96, seq & 0xFFFF, seq * 3000, 0x1234, payload)
            if (k + 1) % per_turn == 0 or k + 1 == len(payloads):
                await asyncio.sleep(0)  # the turn ends: batches go out
                await asyncio.sleep(0)
    used = cpu_secs() - started
    os.waitpid(reader, 0)
    for sock in receivers:
        sock.close()
    return used / (frames * len(SIZES) * subscribers) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--per-turn",
        type=int,
        default=len(SIZES),
        help="packets of a frame fanned out per event-loop turn (5: the whole frame)",
    )
    args = parser.parse_args()
    if not available():
        raise SystemExit("no sendmmsg in this C library: nothing to compare")
    results: dict[str, list[float]] = {way: [] for way in WAYS}
    for _ in range(args.rounds):
        for way in WAYS:
            result = asyncio.run(one_way(way, args.subscribers, args.frames, args.per_turn))
            results[way].append(result)
    load = os.getloadavg()
    print(
        f"{args.subscribers} subscribers, {args.frames} frames of {len(SIZES)} packets, "
        f"{args.per_turn} per event-loop turn"
    )
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("| way | µs of CPU per packet (median) | each round | vs sendto |")
    print("|---|---|---|---|")
    base = statistics.median(results["sendto"])
    for way in WAYS:
        median = statistics.median(results[way])
        rounds = ", ".join(f"{r:.2f}" for r in results[way])
        print(f"| {way} | {median:.2f} | {rounds} | {base / median:.2f}× |")
    summary = {way: round(statistics.median(values), 2) for way, values in results.items()}
    print(
        json.dumps(
            {
                "us_per_packet": summary,
                "subscribers": args.subscribers,
                "packets_per_turn": args.per_turn,
            }
        )
    )


if __name__ == "__main__":
    main()
