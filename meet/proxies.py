"""Who the client is: X-Forwarded-For and -Proto believed only from trusted proxies.

daphne's own ``--proxy-headers`` believes any peer, so anyone reaching daphne directly
could pick the address that login lockouts and per-address limits count. This ASGI
middleware (HTTP and WebSocket) rewrites ``scope["client"]`` and ``scope["scheme"]``
only when the TCP peer is one of ``MEET_TRUSTED_PROXIES``, and always drops the
forwarding headers so nothing downstream can read them unchecked.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Scope = dict[str, Any]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_FOR = b"x-forwarded-for"
FORWARDED_PROTO = b"x-forwarded-proto"
# Headers a proxy may set about the client; none reaches Django (the scope says it all).
FORWARDING_HEADERS = frozenset(
    {FORWARDED_FOR, FORWARDED_PROTO, b"x-forwarded-host", b"x-real-ip", b"forwarded"}
)
# Set in the scope of a request that carried forwarding headers (trusted or not).
FORWARDED_MARK = "meet.forwarded"
SECURE_SCHEMES = {"http": "https", "ws": "wss"}
PLAIN_SCHEMES = {"https": "http", "wss": "ws"}


@lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses and networks of MEET_TRUSTED_PROXIES; a bad entry is a setup error."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as problem:
            raise ImproperlyConfigured(
                f"MEET_TRUSTED_PROXIES: {entry!r} is not an address or network."
            ) from problem
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    """Whether ``address`` is one of the trusted proxies."""
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def forwarded_client(peer: str, forwarded_for: list[str], networks: tuple[Network, ...]) -> str:
    """The client's address: the right-most X-Forwarded-For entry that is not a trusted
    proxy, provided ``peer`` itself is trusted; else ``peer``.

    Entries left of the first untrusted one were written by whoever sent the request and
    prove nothing. A malformed entry there means the chain cannot be read: the peer
    stays the client.
    """
    if not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    client = peer
    for hop in reversed([hop for hop in hops if hop]):
        if _address(hop) is None:
            return peer
        client = str(_address(hop))
        if not is_trusted(client, networks):
            break
    return client


def _scheme(scope: Scope, proto: str) -> str:
    scheme = str(scope.get("scheme") or ("ws" if scope["type"] == "websocket" else "http"))
    if proto == "https":
        return SECURE_SCHEMES.get(scheme, scheme)
    if proto == "http":
        return PLAIN_SCHEMES.get(scheme, scheme)
    return scheme


class TrustedProxyMiddleware:
    """ASGI middleware: the client's address and scheme, as trusted proxies tell them."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] in {"http", "websocket"}:
            scope = self.rewritten(scope)
        return await self.app(scope, receive, send)

    @staticmethod
    def rewritten(scope: Scope) -> Scope:
        """A copy of ``scope`` with client and scheme from a trusted proxy's headers."""
        networks = parse_networks(tuple(settings.MEET_TRUSTED_PROXIES))
        headers = list(scope.get("headers") or [])
        forwarded_for = [v.decode("latin-1") for k, v in headers if k.lower() == FORWARDED_FOR]
        protos = [v.decode("latin-1") for k, v in headers if k.lower() == FORWARDED_PROTO]
        kept = [(k, v) for k, v in headers if k.lower() not in FORWARDING_HEADERS]
        scope = {**scope, "headers": kept}
        if len(kept) != len(headers):
            # A proxy (or someone posing as one) passed it on: /metrics asks (meet/metrics.py).
            scope[FORWARDED_MARK] = True
        client = scope.get("client")
        if not client or not is_trusted(str(client[0]), networks):
            return scope
        address = forwarded_client(str(client[0]), forwarded_for, networks)
        # The proxy's own port says nothing about the client's; 0 marks it unknown.
        scope["client"] = [address, client[1] if address == client[0] else 0]
        if protos:
            scope["scheme"] = _scheme(scope, protos[-1].split(",")[-1].strip().lower())
        return scope


def request_client_address(request: HttpRequest) -> str | None:
    """The client address of a request (django-axes' AXES_CLIENT_IP_CALLABLE)."""
    return request.META.get("REMOTE_ADDR") or None
