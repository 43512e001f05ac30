"""The worker's host candidates stay in ``MEET_MEDIA_UDP_PORTS`` (issue 12), so a
firewall in front of the media server opens that range and nothing wider."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from channels.layers import InMemoryChannelLayer

from mediaworker.config import MediaConfig, udp_ports
from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient
from tests.mediaworker.conftest import LOOPBACK_ONLY
from tests.mediaworker.workers import running

RANGE = (40000, 40999)


@pytest.mark.parametrize(
    ("raw", "ports"),
    [("", None), ("40000-40999", RANGE), (" 40000 - 40999 ", RANGE), ("50000", (50000, 50000))],
)
def test_the_range_is_read(raw: str, ports: tuple[int, int] | None) -> None:
    assert udp_ports({"MEET_MEDIA_UDP_PORTS": raw}) == ports


@pytest.mark.parametrize("raw", ["40999-40000", "80-90", "40000-70000", "all", "40000:40999"])
def test_a_range_that_is_not_one_stops_the_worker(raw: str) -> None:
    with pytest.raises(ValueError, match="MEET_MEDIA_UDP_PORTS"):
        udp_ports({"MEET_MEDIA_UDP_PORTS": raw})


def test_the_config_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEET_MEDIA_UDP_PORTS", "40000-40999")
    assert MediaConfig.from_env().udp_ports == RANGE


def host_ports(sdp: str) -> list[int]:
    """The ports of the host candidates in an SDP (``a=candidate:... <port> typ host``)."""
    return [
        int(line.split()[5])
        for line in sdp.splitlines()
        if line.startswith("a=candidate:") and line.split()[7] == "host"
    ]


@pytest.fixture
async def ranged_worker(
    layer: InMemoryChannelLayer, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[MediaWorker]:
    config = dataclasses.replace(LOOPBACK_ONLY, recordings_root=tmp_path, udp_ports=request.param)
    async with running(MediaWorker(layer, config=config)) as worker:
        yield worker


@pytest.mark.parametrize("ranged_worker", [RANGE], indirect=True)
async def test_the_workers_host_candidates_are_in_the_range(
    layer: InMemoryChannelLayer, ranged_worker: MediaWorker
) -> None:
    clients = [MediaClient(layer, room="r", peer=f"p{i}") for i in range(3)]
    try:
        for client in clients:
            await client.join()
        answers = [c.pc.remoteDescription.sdp for c in clients if c.pc and c.pc.remoteDescription]
        ports = [port for sdp in answers for port in host_ports(sdp)]
        assert len(answers) == 3 and len(ports) >= 3
        assert all(RANGE[0] <= port <= RANGE[1] for port in ports), ports
        for client in clients:  # and media goes through those ports
            await client.wait_for(client.receives([c.peer for c in clients if c is not client]))
    finally:
        for client in clients:
            await client.close()


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        yield int(busy.getsockname()[1])


async def test_a_full_range_offers_no_candidate_rather_than_one_outside_it(
    layer: InMemoryChannelLayer, tmp_path: Path, taken_port: int
) -> None:
    """(The test's client shares the worker's event loop, so it gets no port either.)"""
    config = dataclasses.replace(
        LOOPBACK_ONLY, recordings_root=tmp_path, udp_ports=(taken_port, taken_port)
    )
    async with running(MediaWorker(layer, config=config)):
        client = MediaClient(layer, room="r", peer="p")
        try:
            await client.join()
            assert client.pc is not None and client.pc.remoteDescription is not None
            assert host_ports(client.pc.remoteDescription.sdp) == []
        finally:
            await client.close()
