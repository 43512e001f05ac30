"""Which remote ICE candidates the media worker may send STUN checks to.

A browser names its candidates itself (in its offer's ``a=candidate`` lines and in
trickled ``rtc.ice``): without a filter, a hostile page could make the worker probe
addresses inside its own network. Refused always: link-local, multicast, unspecified
and reserved addresses, and host names (mDNS ``.local`` names would make the worker
ask its LAN). Refused unless listed in the allowed networks: everything that is not
globally routable (loopback, private LAN, carrier-grade NAT, documentation ranges).
A browser on a refused address still connects when the worker sees its checks: aioice
then learns its address as a peer-reflexive candidate, to which it only answers.

Pure: no aiortc, no Django. ``MEET_MEDIA_ALLOWED_PEER_NETWORKS`` (mediaworker/config.py)
gives the allowed networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The embedded default: tests and a school's own LAN run on these.
LOCAL_NETWORKS: tuple[str, ...] = (
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
)
CANDIDATE_PREFIX = "a=candidate:"
END_OF_CANDIDATES = "a=end-of-candidates"


def parse_networks(text: str | Iterable[str]) -> tuple[Network, ...]:
    """Networks from a comma-separated string (or strings); a bad one raises ValueError."""
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def address_allowed(host: str, allowed: tuple[Network, ...]) -> bool:
    """Whether the worker may send STUN checks to a remote candidate at ``host``."""
    try:
        address = ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return False  # a host name (mDNS) or garbage
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return False
    if any(address in network for network in allowed if network.version == address.version):
        return True
    return address.is_global and not address.is_reserved


def candidate_host(candidate: str) -> str | None:
    """The connection address of an ICE candidate attribute (``candidate:…``), or None.

    RFC 8839: ``candidate:<foundation> <component> <transport> <priority> <address>
    <port> typ <type> …``.
    """
    parts = candidate.removeprefix("a=").removeprefix("candidate:").split()
    return parts[4] if len(parts) >= 8 and parts[6] == "typ" else None


def candidate_allowed(candidate: str, allowed: tuple[Network, ...]) -> bool:
    """Whether a candidate line is well formed and its address may be checked."""
    host = candidate_host(candidate)
    return host is not None and address_allowed(host, allowed)


def filter_sdp_candidates(sdp: str, allowed: tuple[Network, ...]) -> tuple[str, int]:
    """The SDP without the candidates the worker must not check; and how many were cut.

    When one is cut, ``a=end-of-candidates`` goes too: the ICE agent then waits for
    the browser's own checks (a peer-reflexive candidate) instead of failing at once
    for want of a candidate.
    """
    kept: list[str] = []
    refused = 0
    for line in sdp.splitlines(keepends=True):
        if line.startswith(CANDIDATE_PREFIX) and not candidate_allowed(line.strip(), allowed):
            refused += 1
            continue
        kept.append(line)
    if refused:
        kept = [line for line in kept if not line.startswith(END_OF_CANDIDATES)]
    return "".join(kept), refused
