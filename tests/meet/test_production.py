"""Production mode: `check --deploy` clean, and a real daphne (`meet serve`) that believes
no X-Forwarded-For from a client that is not a configured proxy."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from broadcasts.vendor import hls_installed
from tests.conftest import ROOT

START_TIMEOUT_SECS = 60.0
FAILURE_LIMIT = 3
PASSWORD = "Mật-khẩu-đúng-2026"


def production_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process with its own folder and SQLite file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEET_", "SECURE_"))}
    for name in ("DEBUG", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "ALLOWED_HOSTS"):
        env.pop(name, None)
    env.update(
        MEET_MODE="production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hop.edu.net.vn,127.0.0.1",
        MEET_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'meet.sqlite3'}",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def meet(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``meet <args>`` in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "meet", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_in_production_mode(tmp_path: Path) -> None:
    """Issue 10, item 4: `check --deploy` finds nothing in production mode (W021, HSTS
    preload, is silenced on purpose: preloading binds the whole registrable domain)."""
    done = meet(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (1 silenced)" in done.stdout


def test_production_cookies_and_hsts(tmp_path: Path) -> None:
    """Issue 10, item 4: secure cookies, HSTS, SSL redirect, and no proxy SSL header."""
    code = (
        "import django; from django.conf import settings; django.setup(); s = settings; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_PROXY_SSL_HEADER)"
    )
    env = {**production_env(tmp_path), "DJANGO_SETTINGS_MODULE": "meet.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.stdout.split() == ["True"] * 6 + ["None"], done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`meet serve` in production mode (no TLS here, so no SSL redirect), no proxy trusted."""
    var_dir = tmp_path_factory.mktemp("production")
    port = _free_port()
    env = production_env(
        var_dir,
        SECURE_SSL_REDIRECT="0",
        AXES_FAILURE_LIMIT=str(FAILURE_LIMIT),
        PORT=str(port),
    )
    # collectstatic's manifest storage refuses the vendored hls.min.js without its map.
    assert hls_installed()
    for args in (("migrate", "-v0"), ("collectstatic", "--noinput", "-v0")):
        done = meet(env, *args)
        assert done.returncode == 0, done.stderr[-3000:]
    create = (
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user('thaygiao', password={PASSWORD!r})"
    )
    assert meet(env, "shell", "-c", create).returncode == 0
    log = (var_dir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "meet", "serve"], env=env, cwd=ROOT, stdout=log, stderr=log
    )
    try:
        _wait_listening(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        assert process.poll() is None, "meet serve exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("meet serve did not start")


def _login(port: int, password: str, spoofed: str) -> int:
    """One sign-in (form, then POST) claiming to come from ``spoofed``; the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/accounts/login/")
    page = connection.getresponse()
    body = page.read()
    cookies = SimpleCookie()
    for value in page.headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token, body[:300]
    form = {"username": "thaygiao", "password": password, "csrfmiddlewaretoken": token[1]}
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={m.value}" for k, m in cookies.items()),
        "X-Forwarded-For": spoofed,
    }
    connection.request("POST", "/accounts/login/", urlencode(form), headers)
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer.status


def test_daphne_lockout_survives_a_spoofed_forwarded_for(production_server: int) -> None:
    """Issue 10, item proxy headers: production daphne ran with --proxy-headers, so a
    client that changed X-Forwarded-For on each try was never locked out."""
    for n in range(FAILURE_LIMIT):
        assert _login(production_server, "sai-mat-khau", f"198.51.100.{n + 1}") in {200, 429}
    assert _login(production_server, PASSWORD, "198.51.100.250") == 429
