"""deploy/systemd/: the same services as plain processes on a VM without Docker (issue 12,
item 2). Every unit runs a ``meet`` subcommand that exists, under the hardening the
deployment promises, and ``systemd-analyze verify`` accepts it."""

from __future__ import annotations

import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mediaworker.config import worker_id
from tests.conftest import ROOT
from tests.meet.commands import console_script, meet_subcommand_exists

UNITS = ROOT / "deploy" / "systemd"
INSTALLED_MEET = "/opt/meet/.venv/bin/meet"
HARDENING = {
    "User": "meet",
    "EnvironmentFile": "/etc/meet/meet.env",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/meet",
    "PrivateTmp": "yes",
    "Restart": "on-failure",
}


def _settings(unit: Path) -> list[tuple[str, str]]:
    """(key, value) of every setting, in order (systemd allows a key more than once)."""
    pairs = []
    for line in unit.read_text().splitlines():
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            pairs.append((key.strip(), value.strip()))
    return pairs


def _meet_invocations(command: str) -> list[list[str]]:
    """The ``meet ...`` argument lists in an Exec line, also inside ``/bin/sh -c '...'``."""
    words = shlex.split(command)
    if words[:2] == ["/bin/sh", "-c"]:
        words = shlex.split(words[2])
    found = []
    for index, word in enumerate(words):
        if word == INSTALLED_MEET:
            found.append(words[index + 1 :])
    return found


def test_the_three_units_ship() -> None:
    """Web, scheduler and the per-core media worker template."""
    names = {unit.name for unit in UNITS.glob("*.service")}
    assert names == {"meet-web.service", "meet-scheduler.service", "meet-media@.service"}


@pytest.mark.parametrize("unit", sorted(p.name for p in UNITS.glob("*.service")))
def test_every_exec_line_runs_a_meet_subcommand_that_exists(unit: str) -> None:
    """Issue 12: the systemd units name commands that exist."""
    assert console_script() == "meet.cli:main"  # what /opt/meet/.venv/bin/meet runs
    execs = [v for k, v in _settings(UNITS / unit) if k.startswith("Exec")]
    assert any(k == "ExecStart" for k, _ in _settings(UNITS / unit))
    for command in execs:
        invocations = _meet_invocations(command)
        assert invocations, command
        for args in invocations:
            assert meet_subcommand_exists(args[0]), command


@pytest.mark.parametrize("unit", sorted(p.name for p in UNITS.glob("*.service")))
def test_every_unit_is_hardened(unit: str) -> None:
    """An unprivileged user, a read-only system but /var/lib/meet, a private /tmp, no new
    privileges, restarted when it fails."""
    settings = dict(_settings(UNITS / unit))
    assert {key: settings.get(key) for key in HARDENING} == HARDENING


def test_each_media_instance_has_its_own_metrics_port_and_core() -> None:
    """Instance N is pinned to core N and serves on 9320 + N (one instance per core, issue
    14), clear of the compose worker's 9310 and the scheduler's 9311."""
    settings = _settings(UNITS / "meet-media@.service")
    exec_start = dict(settings)["ExecStart"]
    assert re.search(r"MEET_MEDIA_METRICS_PORT=\$\$\(\(9320 \+ %i\)\)", exec_start)
    assert ("CPUAffinity", "%i") in settings


def test_each_media_instance_registers_under_a_name_of_its_own() -> None:
    """Issue 14: instance N is the worker ``<short host name>-N`` in placement, a name the
    worker accepts. The unit's shell line runs as systemd would run it for instance 3
    (``%i`` = 3, ``$$`` = ``$``), with ``env`` in place of the worker to show what it gets."""
    exec_start = dict(_settings(UNITS / "meet-media@.service"))["ExecStart"]
    line = exec_start.replace("%i", "3").replace("$$", "$")
    line = line.replace(f"{INSTALLED_MEET} media", "/usr/bin/env")
    ran = subprocess.run(shlex.split(line), capture_output=True, text=True, timeout=30, check=True)
    environ = dict(row.split("=", 1) for row in ran.stdout.splitlines() if "=" in row)
    short_host = socket.gethostname().split(".")[0]
    assert environ["MEET_MEDIA_WORKER_ID"] == f"{short_host}-3"
    assert environ["MEET_MEDIA_METRICS_PORT"] == "9323"
    assert worker_id(environ) == f"{short_host}-3"


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units, with the installed program's path pointed at
    this tree's `meet` (verify checks that the executables exist)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    meet = Path(sys.executable).with_name("meet")
    assert meet.exists(), meet
    names = []
    for unit in UNITS.glob("*.service"):
        name = unit.name.replace("@.", "@0.")  # an instance of the template
        (tmp_path / name).write_text(unit.read_text().replace(INSTALLED_MEET, str(meet)))
        names.append(str(tmp_path / name))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *names], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "meet" not in done.stderr, done.stderr  # no warning about our units either


def _env_example_names() -> set[str]:
    lines = (ROOT / "deploy" / "meet.env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def test_coturns_drop_in_reads_the_secret_from_meet_env(tmp_path: Path) -> None:
    """On a VM, Debian's coturn gets MEET_TURN_SECRET (the web's) from /etc/meet/meet.env,
    written before each start into a private copy of /etc/turnserver.conf: never on the
    command line (`ps` shows it to every local user), and as the file's only secret. The
    ExecStartPre is run here, as systemd would, on a file that still has a placeholder."""
    drop_in = UNITS / "coturn.service.d" / "meet.conf"
    settings = _settings(drop_in)
    assert ("EnvironmentFile", "/etc/meet/meet.env") in settings
    assert ("RuntimeDirectory", "coturn-meet") in settings
    exec_start = [v for k, v in settings if k == "ExecStart"]
    assert exec_start[0] == ""  # replaces Debian's command rather than adding a second
    assert "secret" not in exec_start[1]
    assert "-c /run/coturn-meet/turnserver.conf" in exec_start[1]
    assert set(re.findall(r"\$\{([A-Z_]+)\}", exec_start[1])) <= _env_example_names()
    (pre,) = [v for k, v in settings if k == "ExecStartPre"]
    assert pre.startswith("/bin/sh -c '") and pre.endswith("'")
    # systemd's own unescaping of a unit's command line: %% and C escapes.
    script = pre[len("/bin/sh -c '") : -1].replace("%%", "%").replace("\\\\", "\\")
    shipped = tmp_path / "turnserver.conf"
    shipped.write_text("realm=x\nstatic-auth-secret=placeholder\n  static-auth-secret=two\n")
    written = tmp_path / "run" / "turnserver.conf"
    written.parent.mkdir()
    script = script.replace("/etc/turnserver.conf", str(shipped))
    script = script.replace("/run/coturn-meet/turnserver.conf", str(written))
    env = {"PATH": "/usr/bin:/bin", "MEET_TURN_SECRET": "the-real-secret-0123456789"}
    assert subprocess.run(["/bin/sh", "-c", script], env=env, timeout=10).returncode == 0
    lines = written.read_text().splitlines()
    assert [line for line in lines if "static-auth-secret" in line] == [
        "static-auth-secret=the-real-secret-0123456789"
    ]
    assert "realm=x" in lines
    assert written.stat().st_mode & 0o077 == 0
    # No secret set: the start fails rather than run coturn with none (or a stale one).
    env["MEET_TURN_SECRET"] = ""
    assert subprocess.run(["/bin/sh", "-c", script], env=env, timeout=10).returncode != 0


def test_systemd_accepts_coturns_drop_in(tmp_path: Path) -> None:
    """`systemd-analyze verify` on Debian's coturn unit with our drop-in."""
    analyze = shutil.which("systemd-analyze")
    debian_unit = Path("/lib/systemd/system/coturn.service")
    if analyze is None or not debian_unit.exists():
        pytest.skip("systemd-analyze or Debian's coturn is not installed")
    (tmp_path / "coturn.service.d").mkdir()
    shutil.copy(debian_unit, tmp_path / "coturn.service")
    shutil.copy(UNITS / "coturn.service.d" / "meet.conf", tmp_path / "coturn.service.d")
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / "coturn.service")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
