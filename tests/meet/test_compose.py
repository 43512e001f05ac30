"""docker-compose.yml, the production shape: who can reach which service."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT


def _services() -> dict[str, Any]:
    compose = yaml.safe_load(Path(ROOT / "docker-compose.yml").read_text())
    return dict(compose["services"])


def _published(service: dict[str, Any]) -> list[str]:
    return [str(port) for port in service.get("ports", [])]


def test_redis_has_a_password_that_every_client_uses() -> None:
    """Issue 10, item 7: Redis without a password while the worker trusts its commands."""
    services = _services()
    assert "--requirepass" in services["redis"]["command"]
    urls = {
        name: service["environment"]["REDIS_URL"]
        for name, service in services.items()
        if "REDIS_URL" in service.get("environment", {})
    }
    assert set(urls) == {"web", "scheduler", "media"}
    assert all(url.startswith("redis://:${REDIS_PASSWORD") for url in urls.values()), urls
    assert all(port.startswith("127.0.0.1:") for port in _published(services["redis"]))


def test_only_the_proxy_is_published_and_only_it_is_trusted() -> None:
    """Issue 10, item 7: daphne was published directly while it believed X-Forwarded-For;
    PostgreSQL must not be reachable from outside either."""
    services = _services()
    assert _published(services["postgres"]) == []
    assert all(port.startswith("127.0.0.1:") for port in _published(services["web"]))
    proxy_address = services["proxy"]["networks"]["default"]["ipv4_address"]
    trusted = services["web"]["environment"]["MEET_TRUSTED_PROXIES"]
    assert trusted == proxy_address
    compose = yaml.safe_load(Path(ROOT / "docker-compose.yml").read_text())
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    commands = [" ".join(map(str, s.get("command", []))) for s in services.values()]
    assert not any("--proxy-headers" in command for command in commands)


def test_every_service_comes_back_after_a_crash_or_a_reboot() -> None:
    """Issue 12: `web` had no restart policy."""
    services = _services()
    assert {name: s.get("restart") for name, s in services.items()} == dict.fromkeys(
        services, "unless-stopped"
    )


def test_env_example_lists_exactly_the_variables_compose_reads() -> None:
    """Issue 12: an operator learns every variable from .env.example, and nothing stale."""
    compose = Path(ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose))
    lines = Path(ROOT / ".env.example").read_text().splitlines()
    listed = [line.split("=", 1)[0] for line in lines if line and not line.startswith("#")]
    assert len(listed) == len(set(listed))
    assert set(listed) == used
