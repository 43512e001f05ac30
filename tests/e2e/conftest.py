"""A real meet process (set up and served as the README's run command does) and Chromium.

The server runs `meet setup` and `meet serve` in a subprocess against its own database:
a SQLite file for the embedded default, or a fresh PostgreSQL database when DATABASE_URL
points at PostgreSQL. Chromium is Debian's, driven by Playwright with fake devices.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Generator, Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

from tests.conftest import ROOT, missing_service
from tests.e2e.server import stop_process

CHROMIUM = os.environ.get("MEET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT_SECS = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_database(url: str, label: str = "e2e") -> Iterator[str]:
    """Create a throw-away database beside the configured one; drop it afterwards."""
    import psycopg

    parts = urlparse(url)
    name = f"meet_{label}_{os.getpid()}"
    admin = psycopg.connect(url, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(parts._replace(path=f"/{name}"))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from throwaway_database(tmp_path_factory, "e2e")


def throwaway_database(
    tmp_path_factory: pytest.TempPathFactory, label: str
) -> Generator[str, None, None]:
    """A new database for a live server: PostgreSQL when DATABASE_URL names it, else SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        yield from _postgres_database(url, label)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp(f'{label}-db') / 'meet.sqlite3'}"


@pytest.fixture(scope="session")
def live_url(server_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a meet process set up with the demo data, as `meet run` does.

    Its rooms let a dropped participant go at once: the modules share the demo room, and
    a page Playwright closes is killed, not left, so the seat held for a reconnect (issue
    13; tests/e2e/test_reconnect.py runs its own server with it) would outlive the test."""
    yield from serve(
        server_database, tmp_path_factory.mktemp("e2e-var"), MEET_LIVE_RECONNECT_GRACE_SECS="0"
    )


def serve(database: str, var_dir: Path, **extra: str) -> Iterator[str]:
    """`meet setup` then `meet serve` on ``database``; ``extra`` are more variables."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "MEET_VAR_DIR": str(var_dir),
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    meet = [sys.executable, "-m", "meet"]
    setup = subprocess.run(
        [*meet, "setup"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    log = (var_dir / "server.log").open("w")
    process = subprocess.Popen([*meet, "serve"], env=env, cwd=ROOT, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, var_dir / "server.log")
        yield url
    finally:
        stop_process(process)
        log.close()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"meet serve exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"meet serve did not become healthy: {log.read_text()[-3000:]}")


# Closed after each module: sync Playwright's event loop must not outlive it, or the
# asyncio tests that run after the browser tests find a loop already running.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        missing_service(f"Chromium ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_url: str) -> Iterator[object]:
    """A fresh browser context (no cookies) opened on the live server, Vietnamese first."""
    context = browser.new_context(base_url=live_url, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_url: str) -> Iterator[object]:
    """A phone-sized page (390×844, touch)."""
    context = browser.new_context(
        base_url=live_url,
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    yield page
    context.close()
