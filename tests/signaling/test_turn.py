"""Joining a live room through TURN only, as a browser behind a strict school firewall.

A real coturn (tests/turn.py: the shipped deploy/coturn/turnserver.conf on loopback), the
real room socket, a real media worker, and a real aiortc participant that may use relay
candidates only (``iceTransportPolicy="relay"``, what a browser does with the same
setting): it takes exactly the ``ice_servers`` the app's welcome gave it
(``MEET_TURN_URLS`` pointing at the test coturn, ``MEET_TURN_SECRET`` its secret),
publishes, and a second participant decodes what it sent. Issue 12.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy, RTCIceTransportPolicy
from channels.layers import get_channel_layer

from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient
from tests.signaling.live import Live
from tests.turn import Coturn, Relayed

pytestmark = pytest.mark.django_db(transaction=True)

WIRE = ("rtc.answer", "rtc.tracks", "rtc.speaker", "rtc.muted", "rtc.error")


class SocketParticipant(MediaClient):
    """A MediaClient whose rtc.* messages travel over the room socket, as a browser's."""

    def __init__(self, live: Live, configuration: RTCConfiguration) -> None:
        super().__init__(
            get_channel_layer(), room=live.room.slug, peer=live.peer, configuration=configuration
        )
        self.live = live
        self._pump = asyncio.ensure_future(self._from_socket())

    async def send(self, signal: dict[str, Any]) -> None:
        await self.live.send(signal)

    async def _from_socket(self) -> None:
        while True:
            message = await self.live.next(timeout=60)
            if message["type"] in WIRE:
                await self.handle(message)
            elif message["type"] == "media.connection":
                self.events.append({"kind": "connection", "state": message["state"]})

    async def close(self, *, leave: bool = False) -> None:
        self._pump.cancel()
        await asyncio.gather(self._pump, return_exceptions=True)
        await super().close(leave=leave)  # the socket's close tells the worker


def relay_only(ice_servers: list[dict[str, Any]]) -> RTCConfiguration:
    """What a browser builds from the welcome with ``iceTransportPolicy: "relay"``."""
    servers = [RTCIceServer(**server) for server in ice_servers]
    return RTCConfiguration(
        iceServers=servers,
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )


def local_candidate_types(client: MediaClient) -> set[str]:
    assert client.pc is not None
    transport = client.pc.getTransceivers()[0].sender.transport
    assert transport is not None
    return {c.type for c in transport.transport.iceGatherer.getLocalCandidates()}


async def join_through_turn(
    connect: Any, worker: MediaWorker, url: str, secret: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[SocketParticipant, MediaClient, str]:
    """A host joins relay-only through the socket, a colleague joins directly; both publish."""
    monkeypatch.setenv("MEET_TURN_URLS", url)
    monkeypatch.setenv("MEET_TURN_SECRET", secret)
    live = await connect(role="host", name="Cô Lan")
    [server] = live.welcome["ice_servers"]
    assert server["urls"] == [url]
    relayed = SocketParticipant(live, relay_only(live.welcome["ice_servers"]))
    direct = MediaClient(worker.layer, room=live.room.slug, peer="direct")
    await relayed.join()
    await direct.join()
    return relayed, direct, server["username"]


async def media_flows_both_ways(relayed: SocketParticipant, direct: MediaClient) -> None:
    await relayed.wait_for(lambda: {"kind": "connection", "state": "connected"} in relayed.events)
    await direct.wait_for(direct.receives([relayed.peer]), timeout=30)
    await relayed.wait_for(relayed.receives([direct.peer]), timeout=30)


async def relayed_through(coturn: Coturn, username: str, *, listener: int) -> list[Relayed]:
    """The allocations of ``username`` that carried media both ways, once coturn ends them."""
    for _ in range(200):
        used = [
            r
            for r in coturn.relayed(username)
            if r.listener == listener and r.from_peer_bytes > 0 and r.to_peer_bytes > 0
        ]
        if used:
            return used
        await asyncio.sleep(0.05)
    raise AssertionError(f"coturn relayed nothing for {username}: {coturn.log()[-3000:]}")


async def test_a_participant_behind_a_udp_only_relay_joins_and_publishes(
    connect: Any, worker: MediaWorker, coturn: Coturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    relayed, direct, username = await join_through_turn(
        connect, worker, coturn.udp_url, coturn.secret, monkeypatch
    )
    try:
        # Relay candidates only: whichever pair ICE chose goes through coturn.
        assert local_candidate_types(relayed) == {"relay"}
        await media_flows_both_ways(relayed, direct)
    finally:
        await asyncio.gather(relayed.close(), direct.close())
    # Closing deleted the allocation; coturn logged what it relayed for this user.
    assert await relayed_through(coturn, username, listener=coturn.port)


async def test_the_same_over_tls_the_path_through_a_firewall_that_opens_only_443(
    connect: Any, worker: MediaWorker, coturn: Coturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``turns:`` over TCP to coturn's TLS listener (port 443 through nginx in production).
    aioice verifies coturn's certificate: this process trusts the test's CA only."""
    monkeypatch.setenv("SSL_CERT_FILE", str(coturn.ca_file))
    relayed, direct, username = await join_through_turn(
        connect, worker, coturn.tls_url, coturn.secret, monkeypatch
    )
    try:
        assert local_candidate_types(relayed) == {"relay"}
        await media_flows_both_ways(relayed, direct)
    finally:
        await asyncio.gather(relayed.close(), direct.close())
    assert await relayed_through(coturn, username, listener=coturn.tls_port)


def nothing_to_connect_with(client: MediaClient) -> None:
    """The answer arrived, but without a local candidate ICE cannot start: aiortc leaves
    it "new" (a browser reports "failed"); relay-only, nothing else could carry media."""
    assert client.pc is not None and client.pc.remoteDescription is not None
    assert local_candidate_types(client) == set()
    assert client.pc.iceConnectionState == "new"


async def test_an_expired_credential_gets_no_relay_and_the_join_fails(
    connect: Any, worker: MediaWorker, coturn: Coturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Credentials the app issued with a lifetime already over: coturn answers the
    Allocate with 401 and no relay candidate is gathered."""
    monkeypatch.setenv("MEET_TURN_TTL_SECS", "-60")
    relayed, direct, username = await join_through_turn(
        connect, worker, coturn.udp_url, coturn.secret, monkeypatch
    )
    try:
        nothing_to_connect_with(relayed)
        refused = f"user <{username}>: incoming packet message processed, error 401"
        assert refused in coturn.log()
    finally:
        await asyncio.gather(relayed.close(), direct.close())


async def test_an_untrusted_certificate_gets_no_relay(
    connect: Any, worker: MediaWorker, coturn: Coturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TURN over TLS is authenticated: a certificate no trusted CA signed is refused."""
    monkeypatch.setenv("SSL_CERT_FILE", str(coturn.ca_file.with_name("nobody.pem")))
    relayed, direct, _ = await join_through_turn(
        connect, worker, coturn.tls_url, coturn.secret, monkeypatch
    )
    try:
        nothing_to_connect_with(relayed)
    finally:
        await asyncio.gather(relayed.close(), direct.close())
