"""Abuse limits of live rooms, per client address and per person, across web processes.

Each check spends one try from its buckets (realtime/ratelimit.py) before the work it guards:
a guest password try is refused before any password hash is computed, a join before the
database is read. A refusal is a ``SignalingError`` whose message says when to try again.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta

from django.utils import formats, timezone

from realtime.ratelimit import get_store
from signaling import conf
from signaling.errors import SignalingError


def _refusal(code: str, wait_secs: float) -> SignalingError:
    until = timezone.localtime(timezone.now() + timedelta(seconds=wait_secs))
    return SignalingError(
        code,
        time=formats.time_format(until, "H:i"),
        minutes=max(1, math.ceil(wait_secs / 60)),
        wait=math.ceil(wait_secs),
    )


def address_key(address: str) -> str:
    """The address a bucket is kept for: an IPv6 address's /64 (one subscriber's network,
    whose 2^64 addresses cost nothing to change), an IPv4 address as it is."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _keys(kind: str, *, address: str, person: str) -> list[tuple[str, str]]:
    found = [(f"{kind}_address", f"{kind}:a:{address_key(address)}")]
    if person:
        found.append((f"{kind}_user", f"{kind}:u:{person}"))
    return found


def limit(kind: str, *, address: str, person: str = "") -> None:
    """Spend one ``kind`` try (token, join, chat, upload) of the address and the person."""
    store = get_store()
    for rate_name, key in _keys(kind, address=address, person=person):
        wait = store.spend(key, conf.abuse_rate(rate_name))
        if wait > 0:
            raise _refusal("slow_down", wait)


async def alimit(kind: str, *, address: str, person: str = "") -> None:
    """``limit`` for coroutines."""
    store = get_store()
    for rate_name, key in _keys(kind, address=address, person=person):
        wait = await store.aspend(key, conf.abuse_rate(rate_name))
        if wait > 0:
            raise _refusal("slow_down", wait)


def guest_password_try(*, room_id: int, address: str) -> None:
    """Spend one guest-password try of the address in this room, and of the room.

    Called before the password is hashed: a try beyond the limit costs no hash."""
    store = get_store()
    for rate_name, key in (
        ("guest_password_address", f"guestpw:a:{room_id}:{address_key(address)}"),
        ("guest_password_room", f"guestpw:r:{room_id}"),
    ):
        wait = store.spend(key, conf.abuse_rate(rate_name))
        if wait > 0:
            raise _refusal("password_locked", wait)


def token_claim(token_id: str, *, ttl_secs: float) -> bool:
    """True the first time a join token is used (``ttl_secs``: as long as it is valid)."""
    return get_store().claim(f"token:{token_id}", ttl_secs)


async def atoken_claim(token_id: str, *, ttl_secs: float) -> bool:
    """``token_claim`` for coroutines (Redis without a thread hop)."""
    return await get_store().aclaim(f"token:{token_id}", ttl_secs)
