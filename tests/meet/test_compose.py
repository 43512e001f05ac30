"""docker-compose.yml, the production shape: who can reach which service."""

from __future__ import annotations

import ipaddress
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.meet.commands import meet_subcommand_exists


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


SERVICES = {"proxy", "certbot", "coturn", "postgres", "redis", "web", "scheduler", "media"}
# What each outside image's health check runs, known to be in that image: pg_isready and
# redis-cli ship with the servers, the nginx image installs curl, coturn's image its
# turnutils, certbot's (Alpine) has busybox find and grep.
IMAGE_HEALTH_COMMANDS = {
    "postgres": "pg_isready",
    "redis": "redis-cli",
    "nginx": "curl",
    "coturn/coturn": "turnutils_stunclient",
    "certbot/certbot": "find",
}
# Our image's services and the port their /healthz answers on inside the container.
HEALTH_PORTS = {"web": 8000, "scheduler": 9311, "media": 9310}


def test_every_part_of_the_production_shape_is_a_service() -> None:
    """Issue 12, item 1: TLS proxy, certificates, TURN, database, Redis, web, scheduler
    (and mail worker), media worker; the Caddy one-liner is gone."""
    services = _services()
    assert set(services) == SERVICES
    assert not any("caddy" in str(s.get("image", "")) for s in services.values())


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_health_check_whose_command_exists(name: str) -> None:
    """Issue 12: a health check on every service, each running a command its image has."""
    service = _services()[name]
    test = service["healthcheck"]["test"]
    kind, *command = test
    assert kind in {"CMD", "CMD-SHELL"}
    if "build" in service:  # our image: a python one-liner or a meet subcommand
        if command[0] == "meet":
            assert meet_subcommand_exists(command[1]), command
        else:
            assert command[:2] == ["python", "-c"], command
            compile(command[2], f"{name} health check", "exec")
            assert f"http://127.0.0.1:{HEALTH_PORTS[name]}/healthz" in command[2]
        return
    image = str(service["image"]).split(":")[0]
    program = command[0].split()[0]
    assert program == IMAGE_HEALTH_COMMANDS[image], test
    if image == "nginx":
        templates = (ROOT / "deploy/nginx/templates/meet.conf.template").read_text()
        assert "http://127.0.0.1/proxy-health" in command
        assert "location = /proxy-health" in templates


def test_our_images_commands_are_real_meet_subcommands() -> None:
    """scheduler and media run `meet <subcommand>`; a typo would only show on a server."""
    for name, service in _services().items():
        if "build" in service and "command" in service:
            command = service["command"]
            assert command[0] == "meet" and meet_subcommand_exists(command[1]), (name, command)


def test_the_media_workers_health_port_is_the_one_it_serves_on() -> None:
    """The worker serves /healthz on MEET_MEDIA_METRICS_PORT; the check asks that port."""
    media = _services()["media"]
    port = media["environment"]["MEET_MEDIA_METRICS_PORT"]
    assert f"127.0.0.1:{port}/healthz" in media["healthcheck"]["test"][-1]


def test_files_the_services_mount_from_deploy_exist_and_scripts_run() -> None:
    """Every ./deploy path a service mounts is in the tree; mounted scripts are executable
    (the nginx image runs /docker-entrypoint.d/*.sh only when they are)."""
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("./"):
                path = ROOT / source
                assert path.exists(), (name, source)
                scripts = [path] if path.is_file() else list(path.iterdir())
                for script in scripts:
                    if script.read_text().startswith("#!"):
                        assert script.stat().st_mode & 0o111, script


def test_turn_uses_one_secret_and_is_offered_on_443() -> None:
    """coturn gets MEET_TURN_SECRET from its environment (deploy/coturn/run.sh writes it
    into a private copy of the file: no secret in the tree, none on a command line); the
    web makes credentials with the same variable and offers TURN over TLS on 443."""
    services = _services()
    assert not [a for a in services["coturn"]["command"] if "secret" in a]
    assert services["coturn"]["entrypoint"][-1].endswith("/coturn/run.sh")
    coturn_secret = services["coturn"]["environment"]["MEET_TURN_SECRET"]
    assert coturn_secret.startswith("${MEET_TURN_SECRET:?")
    web = services["web"]["environment"]
    assert web["MEET_TURN_SECRET"].startswith("${MEET_TURN_SECRET:?")
    urls = web["MEET_TURN_URLS"].split(",")
    assert any(u.startswith("turns:${MEET_TURN_HOST") and ":443?transport=tcp" in u for u in urls)
    assert any(u.startswith("turn:") and "transport=udp" in u for u in urls)
    assert services["coturn"]["network_mode"] == "host"
    assert services["media"]["network_mode"] == "host"


DEPLOY_SCRIPTS = sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "deploy").rglob("*")
    if path.is_file() and path.read_bytes().startswith(b"#!/bin/sh")
)


@pytest.mark.parametrize("script", DEPLOY_SCRIPTS)
def test_deploy_scripts_are_valid_posix_shell(script: str) -> None:
    """The images run these with /bin/sh (dash, busybox): no bash-only syntax slips in."""
    assert (ROOT / script).stat().st_mode & 0o111, script
    done = subprocess.run(["sh", "-n", str(ROOT / script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
