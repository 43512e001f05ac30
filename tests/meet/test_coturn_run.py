"""deploy/coturn/run.sh, the compose coturn service's entry point, with Debian's coturn:
turnserver starts with the configuration and arguments it is given, takes its shared
secret from MEET_TURN_SECRET alone (never from the command line, where `ps` shows it),
answers the service's health check (turnutils_stunclient), and stops when the service is
stopped."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import ROOT, missing_service

RUN = ROOT / "deploy" / "coturn" / "run.sh"
ATTEMPTS = 40
PLACEHOLDER = "change-me-to-the-value-of-MEET_TURN_SECRET"
SECRET = "the-secret-of-this-test-0123456789"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stun_answers(port: int) -> bool:
    """The compose health check's command (with this test's port)."""
    try:
        done = subprocess.run(
            ["turnutils_stunclient", "-p", str(port), "127.0.0.1"],
            capture_output=True,
            text=True,
            timeout=3,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and "reflexive addr" in done.stdout


def _allocates(port: int, secret: str) -> bool:
    """Whether a TURN allocation with REST credentials made from ``secret`` succeeds."""
    try:
        peer = _free_port()
        options = f"-W {secret} -p {port} -n 1 -m 1 -l 100 -e 127.0.0.1 -r {peer} -y 127.0.0.1"
        done = subprocess.run(
            ["turnutils_uclient", *options.split()],
            capture_output=True,
            text=True,
            timeout=15,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0 and "Cannot complete Allocation" not in done.stdout


def test_the_wrapper_runs_coturn_with_the_environments_secret_only(tmp_path: Path) -> None:
    """Issue 12: the secret is MEET_TURN_SECRET, from the environment; a static-auth-secret
    left in the file (the shipped placeholder) would be a second working secret, since
    coturn accepts them all. The health check answers; SIGTERM (docker stop) ends it."""
    tools = ("turnserver", "turnutils_stunclient", "turnutils_uclient")
    if not all(shutil.which(tool) for tool in tools):
        missing_service("coturn (turnserver, turnutils_stunclient, turnutils_uclient)")
    port = _free_port()
    conf = tmp_path / "turnserver.conf"
    conf.write_text(
        "listening-ip=127.0.0.1\nuse-auth-secret\n"
        f"static-auth-secret={PLACEHOLDER}\n  static-auth-secret=indented-{PLACEHOLDER}\n"
        "realm=test.example\nno-tls\nno-dtls\nno-cli\nallow-loopback-peers\n"
    )
    cert = tmp_path / "fullchain.pem"
    cert.write_text("not read: TLS is off here")
    args = [f"--listening-port={port}", "--log-file=stdout"]
    env = {"PATH": "/usr/bin:/bin", "MEET_TLS_CERT": str(cert), "MEET_TURN_CONF": str(conf)}
    # Without the secret, or with one on the command line, it refuses to start.
    for extra_env, extra_args in (
        ({}, []),
        ({"MEET_TURN_SECRET": SECRET}, [f"--static-auth-secret={SECRET}"]),
    ):
        refused = subprocess.run(
            ["/bin/sh", str(RUN), *args, *extra_args],
            env=env | extra_env,
            timeout=10,
            capture_output=True,
            text=True,
        )
        assert refused.returncode == 2, refused.stderr
        assert "MEET_TURN_SECRET" in refused.stderr
    wrapper = subprocess.Popen(
        ["/bin/sh", str(RUN), *args, f"--pidfile={tmp_path / 'pid'}"],
        env=env | {"MEET_TURN_SECRET": SECRET},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(ATTEMPTS):
            if _stun_answers(port):
                break
            assert wrapper.poll() is None, "the wrapper exited"
            time.sleep(0.25)
        else:
            raise AssertionError("coturn never answered the STUN health check")
        assert _allocates(port, SECRET)
        assert not _allocates(port, PLACEHOLDER)
        assert not _allocates(port, f"indented-{PLACEHOLDER}")
        wrapper.send_signal(signal.SIGTERM)
        assert wrapper.wait(timeout=30) is not None
        assert not _stun_answers(port)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
            wrapper.wait(timeout=10)
