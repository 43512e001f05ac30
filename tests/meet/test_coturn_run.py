"""deploy/coturn/run.sh, the compose coturn service's entry point, with Debian's coturn:
turnserver starts with the arguments it is given, answers the service's health check
(turnutils_stunclient), and stops when the service is stopped."""

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


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stun_answers(port: int) -> bool:
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


def test_the_wrapper_runs_coturn_which_answers_the_health_check(tmp_path: Path) -> None:
    """The health check command of docker-compose.yml's coturn, against turnserver started
    by the wrapper; SIGTERM (docker stop) ends both."""
    if not shutil.which("turnserver") or not shutil.which("turnutils_stunclient"):
        missing_service("coturn (turnserver, turnutils_stunclient)")
    port = _free_udp_port()
    cert = tmp_path / "fullchain.pem"
    cert.write_text("not read: TLS is off here")
    args = ["-n", "--no-cli", "--no-tls", "--no-dtls", "--listening-ip=127.0.0.1"]
    args += [f"--listening-port={port}", "--log-file=stdout", "--pidfile=" + str(tmp_path / "pid")]
    wrapper = subprocess.Popen(
        ["/bin/sh", str(RUN), *args],
        env={"PATH": "/usr/bin:/bin", "MEET_TLS_CERT": str(cert)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(ATTEMPTS):
            if _stun_answers(port):
                break
            assert wrapper.poll() is None, "the wrapper exited"
            time.sleep(0.25)
        else:
            raise AssertionError("coturn never answered the STUN health check")
        wrapper.send_signal(signal.SIGTERM)
        assert wrapper.wait(timeout=30) is not None
        assert not _stun_answers(port)
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
            wrapper.wait(timeout=10)
