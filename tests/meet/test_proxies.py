"""Client addresses: forwarded headers believed only from MEET_TRUSTED_PROXIES.

The requests go through meet/asgi.py's whole stack (less the embedded media worker's
starter), as daphne would hand them over, with the TCP peer in ``scope["client"]``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User

from meet.proxies import TrustedProxyMiddleware, forwarded_client, parse_networks
from tests.meet.asgi_http import Answer, Browser

PASSWORD = "Mật-khẩu-đúng-2026"
TRUSTED = parse_networks(("10.0.0.0/8", "192.0.2.1"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # An untrusted peer's header is ignored, whatever it says.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        # A trusted proxy's: the right-most entry that is not itself a trusted proxy.
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 10.0.0.3"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),  # two header lines
        ("192.0.2.1", ["2001:db8::7"], "2001:db8::7"),
        # No header, or only proxies in it.
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["10.0.0.5"], "10.0.0.5"),
        # A chain that cannot be read leaves the peer as the client.
        ("10.0.0.2", ["198.51.100.1, not-an-address"], "10.0.0.2"),
        ("10.0.0.2", ["198.51.100.1:5555"], "10.0.0.2"),
    ],
)
def test_the_client_is_the_right_most_untrusted_hop(
    peer: str, forwarded: list[str], client: str
) -> None:
    """Issue 10, item proxy headers: X-Forwarded-For counts only from a trusted proxy."""
    assert forwarded_client(peer, forwarded, TRUSTED) == client


def _application() -> Any:
    from meet.asgi import application

    return application.app  # the stack without the embedded media worker's starter


async def _try_login(browser: Browser, password: str, *, forwarded_for: str = "") -> Answer:
    page = await browser.request(_application(), "GET", "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert match, page.body[:500]
    headers = [("x-forwarded-for", forwarded_for)] if forwarded_for else []
    form = {
        "username": "thaygiao",
        "password": password,
        "csrfmiddlewaretoken": match.group(1).decode(),
    }
    return await browser.request(
        _application(), "POST", "/accounts/login/", headers=headers, form=form
    )


@pytest.fixture
def teacher(transactional_db: None) -> User:
    return User.objects.create_user("thaygiao", password=PASSWORD)


async def _fail_until_locked(browser: Browser, spoofs: list[str]) -> None:
    for spoof in spoofs:
        answer = await _try_login(browser, "sai-mat-khau", forwarded_for=spoof)
        assert answer.status in {200, 429}  # the form again, or the lockout page


async def test_lockout_survives_a_spoofed_forwarded_for(teacher: User, settings: Any) -> None:
    """Issue 10, item proxy headers: a client that is no proxy cannot pick its address."""
    settings.MEET_TRUSTED_PROXIES = []
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Browser(peer="203.0.113.50")
    await _fail_until_locked(attacker, [f"198.51.100.{n}" for n in range(1, 4)])
    right = await _try_login(attacker, PASSWORD, forwarded_for="198.51.100.99")
    assert right.status == 429, "the address behind the spoofed headers was locked out"


async def test_a_trusted_proxys_forwarded_for_is_honoured(teacher: User, settings: Any) -> None:
    """Issue 10, item proxy headers: behind a trusted proxy each client is counted apart."""
    settings.MEET_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.AXES_FAILURE_LIMIT = 3
    proxy = Browser(peer="10.0.0.2")
    await _fail_until_locked(proxy, ["198.51.100.7"] * 3)
    locked = await _try_login(proxy, PASSWORD, forwarded_for="198.51.100.7")
    assert locked.status == 429
    other = await _try_login(Browser(peer="10.0.0.2"), PASSWORD, forwarded_for="198.51.100.8")
    assert other.status == 302, "another client behind the same proxy signs in"
    assert await sync_to_async(_locked_addresses)() == {"198.51.100.7"}


def _locked_addresses() -> set[str]:
    from axes.models import AccessAttempt

    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


@pytest.mark.parametrize(
    ("kind", "peer", "scheme"),
    [
        ("http", "203.0.113.5", "http"),
        ("http", "10.0.0.2", "https"),
        ("websocket", "203.0.113.5", "ws"),
        ("websocket", "10.0.0.2", "wss"),
    ],
)
def test_a_trusted_proxy_sets_the_scheme(kind: str, peer: str, scheme: str, settings: Any) -> None:
    """Issue 10, item 4: X-Forwarded-Proto makes a request secure only from a trusted proxy
    (there is no SECURE_PROXY_SSL_HEADER, which Django believes from anyone), and no
    forwarding header reaches Django."""
    settings.MEET_TRUSTED_PROXIES = ["10.0.0.2"]
    scope = {
        "type": kind,
        "scheme": "http" if kind == "http" else "ws",
        "client": [peer, 5000],
        "headers": [
            (b"x-forwarded-proto", b"https"),
            (b"x-forwarded-for", b"198.51.100.3"),
            (b"x-forwarded-host", b"evil.example"),
            (b"host", b"127.0.0.1"),
        ],
    }
    rewritten = TrustedProxyMiddleware.rewritten(scope)
    assert rewritten["scheme"] == scheme
    assert rewritten["headers"] == [(b"host", b"127.0.0.1")]
    assert rewritten["client"][0] == (peer if peer == "203.0.113.5" else "198.51.100.3")
