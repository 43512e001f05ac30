"""ICE for the worker: which host candidates it offers and which servers it uses.

aioice gathers a host candidate per address of the machine and skips 127.0.0.1; a
browser or test client on the same machine needs the loopback candidate
(shared/MEASURED.md), and a server with many interfaces should offer only its public
one. aioice has no option for either, so ``use_host_addresses`` replaces its address
lookup for this process — the one place that does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aioice.ice as aioice_ice
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCBundlePolicy

from mediaworker.config import MediaConfig

LOOPBACK = "127.0.0.1"

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


def configure(config: MediaConfig) -> None:
    """Apply the host-candidate settings for this process."""
    use_host_addresses(config.ice_hosts, loopback=config.ice_loopback)


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
