"""Issue 12: the installation guide and the README name commands that exist.

docs/deploy.md is followed by an IT officer typing its commands: a `meet` subcommand that
was renamed or removed must fail here, not on a department's server.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

from tests.conftest import ROOT

# meet/cli.py's own subcommands; everything else goes to Django's management commands.
CLI_COMMANDS = {"run", "setup", "serve", "media", "help"}
# A command line that runs `meet`: at its start, after `&&`, or after `docker compose exec web`.
_MEET_COMMAND = re.compile(
    r"(?:^\s*|&& |docker compose exec (?:-T )?web )meet ([a-z][a-z_]+)", re.MULTILINE
)


def _named_commands(text: str) -> set[str]:
    code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL))
    inline = "\n".join(re.findall(r"`([^`\n]+)`", text))
    return set(_MEET_COMMAND.findall(code + "\n" + inline))


@pytest.mark.parametrize("name", ["docs/deploy.md", "README.md"])
def test_every_meet_command_named_exists(name: str) -> None:
    named = _named_commands((ROOT / name).read_text())
    assert {"setup", "createsuperuser"} <= named or name == "README.md", named
    unknown = named - CLI_COMMANDS - set(get_commands())
    assert unknown == set(), f"{name} names `meet` commands that do not exist: {unknown}"


def test_the_guide_installs_from_the_lock() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    installs = re.findall(r"pip install [^\n]*", guide)
    assert installs, "the guide installs nothing"
    assert all(
        "--require-hashes -r requirements/lock.txt" in i or "--no-deps" in i for i in installs
    )


def test_the_readme_links_nothing_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)]+)\)", readme) + re.findall(r"<(https?://[^>]+)>", readme)
    outside = [
        t
        for t in targets
        if re.match(r"https?://(?!127\.0\.0\.1|localhost)", t) or t.startswith("..")
    ]
    assert outside == []
    assert "docs/deploy.md" in readme
    # The first two commands of the quick start are the scripts that exist.
    quick = re.search(r"## Quick start\n\n```sh\n(.*?)```", readme, re.DOTALL)
    assert quick and quick.group(1).split() == ["./scripts/run", "./scripts/test"]
    assert all((ROOT / "scripts" / s).is_file() for s in ("run", "test"))


# ---- docs/deploy.md against the files it describes (issue 12, item 6) ----

GUIDE = ROOT / "docs" / "deploy.md"
# Written by the metrics work and merged beside this guide; each must exist once merged,
# and nothing else may be missing.
ARRIVING = {"deploy/prometheus.yml", "deploy/grafana/meet.json", "docs/observability.md"}
# Where an environment variable the guide names is documented for the operator.
VARIABLE_SOURCES = (
    ".env.example", "deploy/meet.env.example", "docs/media.md", "README.md",
    "docs/scheduling.md", "docs/observability.md",
)  # fmt: skip


def _guide() -> str:
    return GUIDE.read_text()


def _code(text: str) -> str:
    """The guide's code blocks and inline code, where commands, paths and names are."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
    return "\n".join(blocks + re.findall(r"`([^`\n]+)`", text))


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_nothing_is_left_to_verify() -> None:
    assert "verify:" not in _guide() and "<!--" not in _guide()


def test_every_repository_path_the_guide_names_exists() -> None:
    named = set(re.findall(r"(?<![\w/.])((?:deploy|docs|requirements)/[\w./@-]*\w)", _guide()))
    named |= {"docs/" + link for link in re.findall(r"\]\(([\w-]+\.md)\)", _guide())}
    assert {"deploy/nginx/render", "deploy/certbot/obtain", "deploy/meet"} <= named
    missing = {path for path in named if not (ROOT / path).exists()}
    assert missing <= ARRIVING, f"docs/deploy.md names files that do not exist: {missing}"


def test_every_environment_variable_the_guide_names_is_documented() -> None:
    named = set(re.findall(r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9])\b", _code(_guide())))
    assert {"MEET_TURN_SECRET", "MEET_MEDIA_UDP_PORTS", "EMAIL_URL"} <= named
    documented = "\n".join(
        (ROOT / name).read_text() for name in VARIABLE_SOURCES if (ROOT / name).is_file()
    )
    unknown = {name for name in named if not re.search(rf"\b{name}\b", documented)}
    assert unknown == set(), f"docs/deploy.md names undocumented variables: {unknown}"


def test_the_compose_names_the_guide_uses_exist() -> None:
    compose = _compose()
    code = _code(_guide())
    services = set(
        re.findall(
            r"docker compose (?:exec (?:-T )?|logs (?:-f |--since \S+ )?|ps |restart )(\w+)", code
        )
    )
    for stopped in re.findall(r"docker compose stop ([\w ]+)", code):
        services |= set(stopped.split())
    assert {"web", "certbot", "postgres"} <= services
    assert services <= set(compose["services"]), services - set(compose["services"])
    # Volumes are `<project>_<name>` with the project `meet` (the folder /opt/meet).
    # (A metric's name, meet_live_rooms, has more underscores; a volume's has none.)
    volumes = set(re.findall(r"\bmeet_([a-z]+)\b", _guide()))
    assert "meetdata" in volumes and volumes <= set(compose["volumes"]), volumes
    assert "/opt/meet" in _guide()
    # The firewall rule for the proxy's network to reach coturn's TLS port.
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert f"ufw allow from {subnet} to any port 5349 proto tcp" in _guide()
    assert compose["services"]["proxy"]["environment"]["MEET_PROXY_TURN"].endswith(":5349")


def test_the_ports_of_the_guide_are_the_files_ports() -> None:
    guide = _guide()
    conf = (ROOT / "deploy" / "coturn" / "turnserver.conf").read_text()
    low, high = (re.search(rf"^{k}=(\d+)$", conf, re.MULTILINE) for k in ("min-port", "max-port"))
    assert low and high
    assert f"ufw allow {low[1]}:{high[1]}/udp" in guide and f"{low[1]}–{high[1]}" in guide
    env = (ROOT / ".env.example").read_text()
    assert (
        f"MEET_TURN_RELAY_MIN_PORT={low[1]}" in env and f"MEET_TURN_RELAY_MAX_PORT={high[1]}" in env
    )
    media = re.search(r"^MEET_MEDIA_UDP_PORTS=(\d+)-(\d+)$", env, re.MULTILINE)
    assert media and f"ufw allow {media[1]}:{media[2]}/udp" in guide
    assert f"`{media[1]}-{media[2]}`" in guide
    for port in ("3478", "5349", "tls-listening-port=5349"):
        assert port.split("=")[-1] in guide and (port in conf or "=" not in port)
    # Health and metrics: compose's worker, the scheduler, and meet-media@0 (9320 + 0).
    services = _compose()["services"]
    assert services["media"]["environment"]["MEET_MEDIA_METRICS_PORT"] == "9310"
    assert "127.0.0.1:9311:9311" in services["scheduler"]["ports"]
    assert "127.0.0.1:8000:8000" in services["web"]["ports"]
    unit = (ROOT / "deploy" / "systemd" / "meet-media@.service").read_text()
    assert "9320 + %i" in unit
    for url in ("127.0.0.1:9310/healthz", "127.0.0.1:9311/healthz", "127.0.0.1:9320/healthz"):
        assert url in guide


def test_one_media_worker_per_core_each_with_its_own_name() -> None:
    """Issue 14: rooms are placed over registered workers (docs/media.md), so the guide
    runs one worker per core and each unit instance registers under a name of its own;
    compose keeps one ``media`` service (one process, one id: no replicas sharing one)."""
    media = (ROOT / "docs" / "media.md").read_text()
    assert "### Several workers (issue 14)" in media
    assert "run **one** media worker per deployment" not in media
    guide = _guide()
    assert "One media worker per core you give to media" in guide
    assert "Exactly one media worker per server today" not in guide
    assert "`meet-media@1`" in guide
    units = ROOT / "deploy" / "systemd"
    unit = (units / "meet-media@.service").read_text()
    assert "MEET_MEDIA_WORKER_ID=$$(hostname -s)-%i" in unit
    assert "exactly ONE instance" not in unit
    media_service = _compose()["services"]["media"]
    assert "deploy" not in media_service and "scale" not in media_service


def test_the_units_and_commands_the_guide_starts_exist() -> None:
    guide = _guide()
    units = {p.name.removesuffix(".service") for p in (ROOT / "deploy/systemd").glob("*.service")}
    started = set()
    for line in re.findall(r"systemctl (?:enable --now|start|stop|status) ([^\n`]+)", guide):
        started |= {word.split("@")[0] + ("@" if "@" in word else "") for word in line.split()}
    ours = {name for name in started if name.startswith("meet")}
    assert ours == {"meet-web", "meet-scheduler", "meet-media@"}
    assert ours <= units
    # The VM's `meet` wrapper runs the installed program as the units do.
    wrapper = (ROOT / "deploy" / "meet").read_text()
    assert (
        "/etc/meet/meet.env" in wrapper and "runuser -u meet -- /opt/meet/.venv/bin/meet" in wrapper
    )
    for unit in ("meet-web", "meet-scheduler"):
        text = (ROOT / "deploy/systemd" / f"{unit}.service").read_text()
        assert "EnvironmentFile=/etc/meet/meet.env" in text and "User=meet" in text
    # The certificate's webroot: the one the templates serve and obtain writes to.
    template = (ROOT / "deploy/nginx/render").read_text()
    obtain = (ROOT / "deploy/certbot/obtain").read_text()
    assert "/var/www/certbot" in template and "/var/www/certbot" in obtain
    assert "/var/www/certbot" in guide


def test_the_series_and_jobs_the_guide_names_are_served() -> None:
    """Alerts name series and job labels: those of docs/observability.md (and the mail
    queue's, docs/scheduling.md) and of deploy/prometheus.yml."""
    observability = ROOT / "docs" / "observability.md"
    scrape = ROOT / "deploy" / "prometheus.yml"
    if not (observability.is_file() and scrape.is_file()):
        pytest.skip("docs/observability.md and deploy/prometheus.yml arrive with the metrics work")
    guide = _guide()
    series = set(re.findall(r"\b(meet_[a-z]+_[a-z_]*[a-z])\b", _code(guide)))
    series = {name.removesuffix("_bucket") for name in series}
    assert "meet_signaling_join_seconds" in series
    documented = observability.read_text() + (ROOT / "docs" / "scheduling.md").read_text()
    unknown = {name for name in series if name not in documented}
    assert unknown == set(), f"docs/deploy.md alerts on series nobody serves: {unknown}"
    jobs = {job["job_name"] for job in yaml.safe_load(scrape.read_text())["scrape_configs"]}
    named = set(re.findall(r'job="([\w-]+)"', guide))
    assert named and named <= jobs, named - jobs
    assert {f"`{job}`" for job in jobs} <= set(re.findall(r"`meet-[a-z]+`", guide))
    targets = yaml.safe_load(scrape.read_text())["scrape_configs"]
    assert any("127.0.0.1:9310" in c["static_configs"][0]["targets"] for c in targets)
    assert "s/127.0.0.1:9310/127.0.0.1:9320/" in guide  # the VM's meet-media@0
