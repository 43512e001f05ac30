"""coturn, running from the shipped configuration, refuses what it must (issue 12).

A real coturn (tests/turn.py) and aioice's own TURN client with credentials the app
issued (``browser_ice_servers``): an expired credential gets 401 on Allocate, and with
deploy/coturn/turnserver.conf unchanged — no test overlay allowing loopback — coturn
refuses to relay to 127.0.0.1 (403 on CreatePermission), the denial list at work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol

from mediaworker.wire import TURN_TTL_SECS, browser_ice_servers
from tests.turn import LOOPBACK, Coturn, running_coturn


@pytest.fixture(params=[True, False], ids=["loopback-allowed", "shipped-denials"])
def coturn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Coturn]:
    with running_coturn(tmp_path / "coturn", allow_loopback_peer=request.param) as server:
        yield server


@pytest.fixture
async def client(
    coturn: Coturn, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[..., Awaitable[TurnClientUdpProtocol]]]:
    """``await client(now=...)``: a TURN client with the app's credential issued at ``now``."""
    monkeypatch.setenv("MEET_TURN_URLS", coturn.udp_url)
    monkeypatch.setenv("MEET_TURN_SECRET", coturn.secret)
    monkeypatch.delenv("MEET_TURN_TTL_SECS", raising=False)
    transports: list[asyncio.BaseTransport] = []

    async def make(now: float | None = None) -> TurnClientUdpProtocol:
        [server] = browser_ice_servers("u:7", now=now)
        address = (LOOPBACK, coturn.port)
        transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: TurnClientUdpProtocol(
                address,
                username=server["username"],
                password=server["credential"],
                lifetime=600,
                channel_refresh_time=500,
            ),
            remote_addr=address,
        )
        transports.append(transport)
        return protocol

    yield make
    for transport in transports:
        transport.close()


async def permit(protocol: TurnClientUdpProtocol, peer: tuple[str, int]) -> None:
    """CreatePermission for ``peer`` on the client's allocation."""
    request = stun.Message(
        message_method=stun.Method.CREATE_PERMISSION, message_class=stun.Class.REQUEST
    )
    request.attributes["XOR-PEER-ADDRESS"] = peer
    await protocol.request_with_retry(request)


async def test_an_expired_credential_is_refused(client) -> None:
    expired = await client(now=time.time() - TURN_TTL_SECS - 60)
    with pytest.raises(stun.TransactionFailed) as refused:
        await expired.connect()
    assert refused.value.response.error_code == 401
    fresh = await client()
    assert (await fresh.connect())[0] == LOOPBACK  # the same server allocates otherwise


async def test_loopback_is_relayed_only_where_the_test_overlay_allows_it(
    client, coturn: Coturn
) -> None:
    protocol = await client()
    await protocol.connect()
    if not coturn.allows_loopback:
        with pytest.raises(stun.TransactionFailed) as refused:
            await permit(protocol, (LOOPBACK, 9))
        assert refused.value.response.error_code == 403
    else:
        await permit(protocol, (LOOPBACK, 9))
