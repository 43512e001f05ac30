"""A real nginx for tests: deploy/nginx/ rendered as it ships, run unprivileged.

nginx runs as the current user on free high ports with everything in the test's folder;
its certificate is the self-signed placeholder deploy/nginx/placeholder-cert.sh writes.
Used by tests/meet/test_nginx.py (the proxy in front of a real daphne) and
tests/signaling/test_turn_via_proxy.py (TURN over TLS through the SNI router to coturn).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing_service

NGINX_DIR = ROOT / "deploy" / "nginx"
START_TIMEOUT_SECS = 60.0


def nginx_program() -> str:
    """nginx's path; skips (fails under MEET_REQUIRE_SERVICES=1) without nginx, openssl
    (the placeholder certificate) or envsubst (deploy/nginx/render)."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not nginx or not shutil.which("openssl") or not shutil.which("envsubst"):
        missing_service("nginx (with openssl and envsubst)")
    return nginx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{what} did not start")


def proxy_env(
    base: Path, web_port: int, turn_port: int, *, room_host: str, turn_host: str
) -> dict[str, str]:
    """The MEET_* values the templates need, with free ports and paths in ``base``."""
    cert = base / "live" / room_host / "fullchain.pem"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEET_ROOM_HOST": room_host,
        "MEET_TURN_HOST": turn_host,
        "MEET_PROXY_HTTP_PORT": str(free_port()),
        "MEET_PROXY_HTTPS_PORT": str(free_port()),
        "MEET_PROXY_INTERNAL_PORT": str(free_port()),
        "MEET_PROXY_TURN_HOP_PORT": str(free_port()),
        "MEET_PROXY_WEB": f"127.0.0.1:{web_port}",
        "MEET_PROXY_TURN": f"127.0.0.1:{turn_port}",
        "MEET_PROXY_VAR_DIR": str(base / "var"),
        "MEET_PROXY_ACME_ROOT": str(base / "acme"),
        "MEET_TLS_CERT": str(cert),
        "MEET_TLS_KEY": str(cert.with_name("privkey.pem")),
        "MEET_TLS_KEY_GROUP": str(os.getegid()),
    }


def _render(env: dict[str, str], out: Path) -> None:
    done = subprocess.run(
        [str(NGINX_DIR / "render"), str(out)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def _main_conf(out: Path) -> None:
    """A main nginx.conf for an unprivileged run in ``out``; render adds the stream block."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    # Debian builds the stream module as a dynamic one (libnginx-mod-stream).
    module = Path("/usr/lib/nginx/modules/ngx_stream_module.so")
    load = f"load_module {module};" if module.exists() else ""
    temp = " ".join(
        f"{kind}_temp_path {out / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    temp += f" uwsgi_temp_path {out / 'uwsgi'}; scgi_temp_path {out / 'scgi'};"
    (out / "nginx.conf").write_text(
        f"{load}\n{user}\nworker_processes 1;\npid {out / 'nginx.pid'};\n"
        f"error_log {out / 'error.log'} info;\n"
        "events { worker_connections 256; }\n"
        f"http {{ include /etc/nginx/mime.types; access_log {out / 'access.log'}; {temp}\n"
        f"  include {out}/conf.d/*.conf; }}\n"
    )


def configure_nginx(nginx: str, env: dict[str, str], out: Path) -> list[str]:
    """Placeholder certificate, main conf, rendered templates, `nginx -t`; the command
    that runs this nginx in the foreground."""
    placeholder = subprocess.run(
        [str(NGINX_DIR / "placeholder-cert.sh")], env=env, capture_output=True, text=True
    )
    assert placeholder.returncode == 0, placeholder.stderr
    _main_conf(out)
    _render(env, out)
    command = [nginx, "-p", str(out), "-c", str(out / "nginx.conf"), "-e", str(out / "error.log")]
    test = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    return [*command, "-g", "daemon off;"]
