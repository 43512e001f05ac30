"""Which remote ICE candidates the media worker may probe (mediaworker/peer_addresses.py).

Issue 10: a browser could make the worker send STUN to internal addresses; the table
pins what is refused in production (no allowed networks) and in the embedded default.
"""

from __future__ import annotations

import pytest

from mediaworker.config import allowed_peer_networks
from mediaworker.peer_addresses import (
    LOCAL_NETWORKS,
    address_allowed,
    candidate_allowed,
    candidate_host,
    filter_sdp_candidates,
    parse_networks,
)

PRODUCTION: tuple = ()
EMBEDDED = parse_networks(LOCAL_NETWORKS)


@pytest.mark.parametrize(
    ("host", "production", "embedded"),
    [
        ("203.113.131.1", True, True),  # a Vietnamese ISP's public address
        ("2405:4800::1", True, True),  # public IPv6
        ("8.8.8.8", True, True),
        ("127.0.0.1", False, True),  # loopback: tests, a browser on the same machine
        ("::1", False, True),
        ("10.1.2.3", False, True),  # private LAN
        ("172.16.0.9", False, True),
        ("192.168.1.20", False, True),
        ("fd12:3456::1", False, True),  # unique local IPv6
        ("100.64.0.1", False, False),  # carrier-grade NAT: never a host we should probe
        ("192.0.2.1", False, False),  # documentation range
        ("169.254.169.254", False, False),  # link-local: the cloud metadata service
        ("fe80::1", False, False),
        ("224.0.0.251", False, False),  # multicast (mDNS)
        ("ff02::1", False, False),
        ("0.0.0.0", False, False),  # unspecified
        ("::", False, False),
        ("255.255.255.255", False, False),  # broadcast
        ("240.0.0.1", False, False),  # reserved
        ("::ffff:10.0.0.1", False, True),  # IPv4-mapped: judged as the IPv4 address
        ("::ffff:169.254.169.254", False, False),
        ("4f9a1c2e-1b2d-4c3e-9f00-0123456789ab.local", False, False),  # mDNS name
        ("localhost", False, False),
        ("", False, False),
        ("1.2.3", False, False),
    ],
)
def test_addresses_a_browser_may_name(host: str, production: bool, embedded: bool) -> None:
    """Issue 10: ICE candidates are filtered (link-local, multicast, unspecified always;
    loopback and private ranges unless allowed)."""
    assert address_allowed(host, PRODUCTION) is production
    assert address_allowed(host, EMBEDDED) is embedded


def test_an_allowed_network_opens_only_itself() -> None:
    """Issue 10: ``MEET_MEDIA_ALLOWED_PEER_NETWORKS`` lists what a deployment's LAN uses."""
    allowed = parse_networks("10.20.0.0/16, 169.254.0.0/16")
    assert address_allowed("10.20.5.5", allowed)
    assert not address_allowed("10.21.5.5", allowed)
    assert not address_allowed("169.254.169.254", allowed)  # link-local whatever it says


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, EMBEDDED),
        ({"MEET_MODE": "production"}, ()),
        (
            {"MEET_MODE": "production", "MEET_MEDIA_ALLOWED_PEER_NETWORKS": "10.0.0.0/8"},
            parse_networks("10.0.0.0/8"),
        ),
        ({"MEET_MEDIA_ALLOWED_PEER_NETWORKS": ""}, ()),
    ],
)
def test_the_setting_and_its_defaults(environ: dict[str, str], expected: tuple) -> None:
    """Issue 10: production allows no internal address by default; embedded its LAN."""
    assert allowed_peer_networks(environ) == expected


def test_a_bad_network_stops_the_worker() -> None:
    with pytest.raises(ValueError, match="MEET_MEDIA_ALLOWED_PEER_NETWORKS"):
        allowed_peer_networks({"MEET_MEDIA_ALLOWED_PEER_NETWORKS": "10.0.0.0/33"})


@pytest.mark.parametrize(
    ("line", "host"),
    [
        ("candidate:1 1 udp 2130706431 192.168.1.2 50000 typ host", "192.168.1.2"),
        (
            "a=candidate:8 1 UDP 1694498815 203.113.131.1 3478 typ srflx raddr 0.0.0.0 rport 0",
            "203.113.131.1",
        ),
        ("candidate:2 1 tcp 1518280447 ::1 9 typ host tcptype active", "::1"),
        ("candidate:1 1 udp 2130706431 192.168.1.2 50000 host", None),  # no "typ"
        ("candidate:1 1 udp", None),
        ("", None),
    ],
)
def test_the_address_of_a_candidate_line(line: str, host: str | None) -> None:
    assert candidate_host(line) == host
    assert candidate_allowed(line, EMBEDDED) is (host is not None)


def test_candidates_are_cut_from_an_offer() -> None:
    """Issue 10: the offer's own ``a=candidate`` lines are filtered, the rest kept."""
    sdp = (
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "a=candidate:1 1 udp 2130706431 203.113.131.1 50000 typ host\r\n"
        "a=candidate:2 1 udp 2130706431 169.254.169.254 50001 typ host\r\n"
        "a=candidate:3 1 udp 2130706431 10.0.0.7 50002 typ host\r\n"
        "a=candidate:4 1 udp garbage\r\n"
        "a=end-of-candidates\r\n"
    )
    kept, cut = filter_sdp_candidates(sdp, PRODUCTION)
    assert cut == 3
    assert "203.113.131.1" in kept and "169.254" not in kept and "10.0.0.7" not in kept
    # The agent must wait for the browser's checks (peer-reflexive), not give up.
    assert "end-of-candidates" not in kept
    kept, cut = filter_sdp_candidates(sdp, EMBEDDED)
    assert cut == 2 and "10.0.0.7" in kept
    clean = sdp.replace("a=candidate:2 1 udp 2130706431 169.254.169.254 50001 typ host\r\n", "")
    clean = clean.replace("a=candidate:4 1 udp garbage\r\n", "")
    assert filter_sdp_candidates(clean, EMBEDDED) == (clean, 0)
