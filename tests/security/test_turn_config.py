"""The shipped coturn configuration relays to no internal or reserved address (ASVS V17.1.1).

Issue 10, item 6: "TURN never relays to internal or reserved addresses". The relay is
coturn (deploy/coturn/turnserver.conf); these tests read that file as coturn does and
check its ``denied-peer-ip`` ranges against the IANA special-purpose registries and
against Python's own idea of a globally reachable address.
"""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "coturn" / "turnserver.conf"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA IPv4 and IPv6 special-purpose address registries, plus multicast and the
# "reserved for future use" block: every one must be denied as a relay peer.
SPECIAL_PURPOSE = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
    "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "255.255.255.255/32",
    "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
    "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16", "fc00::/7",
    "fe80::/10", "ff00::/8",
]  # fmt: skip


def read_options(path: Path) -> list[tuple[str, str]]:
    """(name, value) of every option line, as coturn reads them (``#`` starts a comment)."""
    options = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, value = line.partition("=")
            options.append((name.strip(), value.strip()))
    return options


Span = tuple[int, int, int]  # (IP version, first, last) as integers


def parse_range(value: str) -> Span:
    """coturn's ``first-last`` or a single address."""
    first, _, last = value.partition("-")
    low = ipaddress.ip_address(first)
    high = ipaddress.ip_address(last or first)
    assert low.version == high.version and int(low) <= int(high), value
    return low.version, int(low), int(high)


def denied_ranges() -> list[Span]:
    return [parse_range(value) for name, value in read_options(CONFIG) if name == "denied-peer-ip"]


def is_denied(address: IPAddress, ranges: list[Span]) -> bool:
    value = int(address)
    return any(version == address.version and low <= value <= high for version, low, high in ranges)


def covered(network: ipaddress.IPv4Network | ipaddress.IPv6Network, ranges: list[Span]) -> bool:
    """True when the union of ``ranges`` holds every address of ``network`` (no gap)."""
    spans = sorted((low, high) for version, low, high in ranges if version == network.version)
    needed = int(network.network_address)
    end = int(network.broadcast_address)
    for low, high in spans:
        if low > needed:
            break
        needed = max(needed, high + 1)
        if needed > end:
            return True
    return needed > end


def test_the_config_file_parses_and_denies_something() -> None:
    ranges = denied_ranges()
    assert len(ranges) >= len(SPECIAL_PURPOSE) // 2


@pytest.mark.parametrize("block", SPECIAL_PURPOSE)
def test_every_special_purpose_block_is_denied_whole(block: str) -> None:
    """Issue 10, item 6 (V17.1.1): the relay never reaches a reserved or internal block."""
    network = ipaddress.ip_network(block)
    assert covered(network, denied_ranges()), f"{block} is not wholly denied in {CONFIG.name}"


def test_no_address_python_calls_non_global_is_relayed() -> None:
    """A seeded sample over both families, with the edges of every block, all checked."""
    ranges = denied_ranges()
    rng = random.Random(10)
    samples: list[IPAddress] = [ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(20000)]
    samples += [ipaddress.IPv6Address(rng.getrandbits(128)) for _ in range(5000)]
    for block in SPECIAL_PURPOSE:
        network = ipaddress.ip_network(block)
        samples += [network.network_address, network.broadcast_address]
    # Addresses inside the special blocks, where a random draw rarely lands.
    for block in SPECIAL_PURPOSE:
        network = ipaddress.ip_network(block)
        base = int(network.network_address)
        samples += [ipaddress.ip_address(base + rng.randrange(network.num_addresses))
                    for _ in range(50)]  # fmt: skip
    leaks = [str(a) for a in samples if not a.is_global and not is_denied(a, ranges)]
    assert leaks == []


def test_public_addresses_are_still_relayed() -> None:
    """The media worker's public address must stay reachable through the relay."""
    ranges = denied_ranges()
    for address in ("8.8.8.8", "203.162.4.190", "2402:800::1", "2001:4860:4860::8888"):
        assert not is_denied(ipaddress.ip_address(address), ranges), address


def test_only_single_addresses_are_re_allowed() -> None:
    """An ``allowed-peer-ip`` punches a hole in the deny list: at most one address each."""
    for name, value in read_options(CONFIG):
        if name == "allowed-peer-ip":
            _, low, high = parse_range(value)
            assert low == high, f"allowed-peer-ip={value} opens more than one address"


def test_relay_uses_time_limited_credentials_and_quotas() -> None:
    """Credentials come from meet's REST scheme (never static users); quotas bound ports."""
    names = {name for name, _ in read_options(CONFIG)}
    assert {"use-auth-secret", "user-quota", "total-quota"} <= names
    # coturn accepts every secret it reads: one shipped here would be public and working.
    # The real one (MEET_TURN_SECRET) is added at start (deploy/coturn/run.sh, the drop-in).
    assert "static-auth-secret" not in names
    assert "user" not in names and "lt-cred-mech" not in names
    assert "no-multicast-peers" in names and "no-cli" in names
