"""ICE for the worker: which host candidates it offers and which servers it uses.

aioice gathers a host candidate per address of the machine and skips 127.0.0.1; a
browser or test client on the same machine needs the loopback candidate
(shared/MEASURED.md), and a server with many interfaces should offer only its public
one. aioice has no option for either, so ``use_host_addresses`` replaces its address
lookup for this process — the one place that does.

``MEET_MEDIA_UDP_PORTS`` (e.g. 40000-40999) keeps the worker's host candidates in a
range a firewall can open. aioice binds each host candidate with
``loop.create_datagram_endpoint(factory, local_addr=(address, 0))`` and lets the system
pick the port; it has no option for a range (aiortc/aioice issue 47; its pull requests
63 and 112 are not merged as of aioice 0.13). ``use_udp_ports`` therefore wraps that
one method of the worker's event loop: a bind to port 0 on an address, with no remote
address, tries the ports of the range from a random one on (workers sharing a range
rarely collide) until one is free. Connected sockets (the TURN client's) and fixed
ports are left alone. When every port of the range is taken the bind fails as aioice
expects a failed bind to: that address offers no candidate, and the log says so. Each
peer connection takes one port per host address, so size the range for the
participants and viewers the machine's workers serve together.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import aioice.ice as aioice_ice
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy

from mediaworker.config import MediaConfig

LOOPBACK = "127.0.0.1"
logger = logging.getLogger(__name__)

_machine_addresses: Callable[..., list[str]] = aioice_ice.get_host_addresses


def use_host_addresses(hosts: Sequence[str], *, loopback: bool) -> None:
    """Offer exactly ``hosts`` (or the machine's addresses), plus 127.0.0.1 if asked."""
    fixed = list(hosts)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        addresses = fixed or _machine_addresses(use_ipv4=use_ipv4, use_ipv6=use_ipv6)
        if loopback and use_ipv4 and LOOPBACK not in addresses:
            addresses = [*addresses, LOOPBACK]
        return addresses

    aioice_ice.get_host_addresses = host_addresses


def use_udp_ports(ports: tuple[int, int] | None, loop: asyncio.AbstractEventLoop) -> None:
    """Bind host candidates on ``loop`` within ``ports`` (low, high); None: any port."""
    vars(loop).pop("create_datagram_endpoint", None)  # the loop's own method again
    if ports is None:
        return
    low, high = ports
    count = high - low + 1
    bind = loop.create_datagram_endpoint

    async def in_range(
        protocol_factory: Callable[[], Any],
        local_addr: tuple[str, int] | None = None,
        remote_addr: tuple[str, int] | None = None,
        **options: Any,
    ) -> Any:
        if local_addr is None or local_addr[1] != 0 or remote_addr is not None:
            return await bind(protocol_factory, local_addr, remote_addr, **options)
        first = secrets.randbelow(count)
        for step in range(count):
            port = low + (first + step) % count
            try:
                return await bind(protocol_factory, (local_addr[0], port), None, **options)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
        logger.warning("media worker: UDP ports %d-%d all taken on %s", low, high, local_addr[0])
        raise OSError(errno.EADDRINUSE, f"no free UDP port in {low}-{high}")

    loop.create_datagram_endpoint = in_range  # type: ignore[method-assign,assignment]


def configure(config: MediaConfig) -> None:
    """Apply the host-candidate settings for this process and its event loop."""
    use_host_addresses(config.ice_hosts, loopback=config.ice_loopback)
    use_udp_ports(config.udp_ports, asyncio.get_running_loop())


def rtc_configuration(config: MediaConfig) -> RTCConfiguration:
    """The worker's peer-connection configuration: no STUN unless configured."""
    servers: list[RTCIceServer] = []
    if config.stun_urls:
        servers.append(RTCIceServer(urls=list(config.stun_urls)))
    if config.turn_urls:
        servers.append(
            RTCIceServer(
                urls=list(config.turn_urls),
                username=config.turn_username or None,
                credential=config.turn_password or None,
            )
        )
    return RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def restore_host_addresses() -> None:
    """Give aioice its own address lookup back (tests)."""
    aioice_ice.get_host_addresses = _machine_addresses
