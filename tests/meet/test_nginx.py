"""deploy/nginx/: the production proxy, rendered and run as it ships, in front of a real
production daphne (issue 12, item 1).

nginx runs as the current user on high ports with everything in a temporary folder; its
certificate is the self-signed placeholder deploy/nginx/placeholder-cert.sh writes. The
"TURN" backend behind the SNI router is a small TLS echo server with its own certificate,
so the test sees whether nginx passed the TLS bytes through or terminated them.
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect
from websockets.typing import Origin

from tests.conftest import ROOT
from tests.meet.test_production import meet, production_env
from tests.nginx import NGINX_DIR, configure_nginx, free_port, nginx_program, wait_listening
from tests.nginx import proxy_env as nginx_proxy_env

ROOM_HOST = "hop.edu.net.vn"
TURN_HOST = "turn.hop.edu.net.vn"
# The test's client connects from another loopback address than nginx's own, so "the
# address the app saw" can only be the client's if nginx passed it on correctly.
CLIENT_ADDRESS = "127.0.0.2"
SPOOFED = "198.51.100.7"
# A slide deck's limit (MEET_LIVE_SLIDES_MAX_BYTES, 50 MB) fits; this does not.
OVERSIZE_BYTES = 61 * 1024 * 1024


@dataclass
class Edge:
    """The running proxy: its ports and files."""

    http_port: int
    https_port: int
    cert: Path
    turn_cert_der: bytes
    turn_ca: Path
    var_dir: Path
    env: dict[str, str]


def _turn_certificate(folder: Path) -> tuple[Path, Path, bytes]:
    """A self-signed certificate for TURN_HOST (not nginx's): the backend presents it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TURN_HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(TURN_HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "turn.pem", folder / "turn.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, cert.public_bytes(serialization.Encoding.DER)


def _serve_turn_echo(listener: socket.socket, context: ssl.SSLContext) -> None:
    """Terminate TLS as coturn would and answer each line with ``turn:<line>``."""
    while True:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        try:
            with context.wrap_socket(raw, server_side=True) as tls:
                line = tls.recv(100)
                tls.sendall(b"turn:" + line)
        except (OSError, ssl.SSLError):
            raw.close()


def _turn_backend(folder: Path) -> tuple[socket.socket, Path, bytes]:
    """The stand-in for coturn's TLS port: listening, its CA file, its certificate (DER)."""
    turn_cert, turn_key, turn_der = _turn_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(turn_cert, turn_key)
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_serve_turn_echo, args=(listener, context), daemon=True).start()
    return listener, turn_cert, turn_der


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """A production daphne, the TURN echo backend, and nginx with deploy/nginx/ in front."""
    nginx = nginx_program()
    base = tmp_path_factory.mktemp("edge")
    var_dir, out = base / "var", base / "nginx"
    out.mkdir()
    var_dir.mkdir()
    web_port = free_port()
    # The whole loopback network is "proxies" here, client address included: had nginx
    # appended to the client's X-Forwarded-For instead of replacing it, the web would walk
    # past 127.0.0.2 to the spoofed entry.
    env = production_env(
        var_dir, PORT=str(web_port), MEET_TRUSTED_PROXIES="127.0.0.0/8", AXES_FAILURE_LIMIT="50"
    )
    for args in (("migrate", "-v0"), ("collectstatic", "--noinput", "-v0")):
        done = meet(env, *args)
        assert done.returncode == 0, done.stderr[-3000:]
    turn_listener, turn_ca, turn_der = _turn_backend(base)
    proxy_env = nginx_proxy_env(
        base, web_port, turn_listener.getsockname()[1], room_host=ROOM_HOST, turn_host=TURN_HOST
    )
    command = configure_nginx(nginx, proxy_env, out)
    web_log = (base / "web.log").open("w")
    web = subprocess.Popen(
        [sys.executable, "-m", "meet", "serve"], env=env, cwd=ROOT, stdout=web_log, stderr=web_log
    )
    proxy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    https_port = int(proxy_env["MEET_PROXY_HTTPS_PORT"])
    try:
        wait_listening(web_port, web, "meet serve")
        wait_listening(https_port, proxy, "nginx")
        http_port = int(proxy_env["MEET_PROXY_HTTP_PORT"])
        cert = Path(proxy_env["MEET_TLS_CERT"])
        yield Edge(http_port, https_port, cert, turn_der, turn_ca, var_dir, env)
    finally:
        for process in (proxy, web):
            process.terminate()
            process.wait(timeout=10)
        turn_listener.close()
        web_log.close()


def _client_socket(port: int) -> socket.socket:
    return socket.create_connection(
        ("127.0.0.1", port), timeout=30, source_address=(CLIENT_ADDRESS, 0)
    )


def _https(edge: Edge) -> http.client.HTTPConnection:
    """An HTTPS connection to nginx for ROOM_HOST, trusting only its placeholder certificate."""
    context = ssl.create_default_context(cafile=str(edge.cert))
    tls = context.wrap_socket(_client_socket(edge.https_port), server_hostname=ROOM_HOST)
    connection = http.client.HTTPConnection(ROOM_HOST, edge.https_port, timeout=30)
    connection.sock = tls
    return connection


def _get(
    edge: Edge, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = _https(edge)
    connection.request("GET", path, headers=headers or {})
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body


def test_a_page_loads_over_https_with_a_request_id(edge: Edge) -> None:
    """The web believes the proxy's X-Forwarded-Proto (no redirect loop to HTTPS) and each
    request carries nginx's request id, which the answer repeats."""
    status, headers, body = _get(edge, "/accounts/login/", {"X-Request-ID": "chosen-by-client"})
    assert status == 200, body[:300]
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
    assert b"csrfmiddlewaretoken" in body


def test_the_app_sees_the_clients_address_not_the_forwarded_for_it_sent(edge: Edge) -> None:
    """Issue 12: only the proxy's addresses are trusted, and the proxy replaces whatever a
    client put in X-Forwarded-For with the address it saw (here 127.0.0.2, through the
    stream router's PROXY protocol header)."""
    connection = _https(edge)
    connection.request("GET", "/accounts/login/")
    page = connection.getresponse()
    body = page.read()
    cookies = SimpleCookie()
    for value in page.headers.get_all("Set-Cookie") or []:
        cookies.load(value)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token, body[:300]
    form = {"username": "khong-co-ai", "password": "sai", "csrfmiddlewaretoken": token[1]}
    origin = f"https://{ROOM_HOST}"  # nginx passes Host without the port ($host)
    connection.request(
        "POST",
        "/accounts/login/",
        urlencode(form),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={m.value}" for k, m in cookies.items()),
            "Origin": origin,
            "Referer": f"{origin}/accounts/login/",
            "X-Forwarded-For": SPOOFED,
            "X-Real-IP": SPOOFED,
        },
    )
    answer = connection.getresponse()
    answer.read()
    connection.close()
    assert answer.status == 200  # the form again, with its error
    seen = meet(
        edge.env,
        "shell",
        "-c",
        "from axes.models import AccessAttempt; "
        "print(sorted({a.ip_address for a in AccessAttempt.objects.all()}))",
    )
    assert seen.returncode == 0, seen.stderr
    assert seen.stdout.strip().splitlines()[-1] == repr([CLIENT_ADDRESS])


def test_a_websocket_upgrades_through_the_proxy(edge: Edge) -> None:
    """/ws/watch/ reaches the consumer: it accepts, says the room is not live, and closes."""
    context = ssl.create_default_context(cafile=str(edge.cert))
    with ws_connect(
        f"wss://{ROOM_HOST}:{edge.https_port}/ws/watch/khong-co-phong/",
        sock=_client_socket(edge.https_port),
        ssl=context,
        server_hostname=ROOM_HOST,
        origin=Origin(f"https://{ROOM_HOST}"),
        open_timeout=30,
    ) as socket_:
        message = json.loads(socket_.recv(timeout=30))
        assert "not_live" in json.dumps(message), message
        with pytest.raises(ConnectionClosed):
            socket_.recv(timeout=30)
        assert socket_.close_code not in (None, 1006)


def test_static_files_come_from_nginx_with_long_cache_for_hashed_names(edge: Edge) -> None:
    """Hashed names (whitenoise's manifest) are immutable for a year; others an hour."""
    static = edge.var_dir / "static"
    manifest = json.loads((static / "staticfiles.json").read_text())["paths"]
    name, hashed = next((k, v) for k, v in sorted(manifest.items()) if k.endswith(".css"))
    status, headers, body = _get(edge, f"/static/{hashed}")
    assert status == 200
    assert body == (static / hashed).read_bytes()
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    status, headers, _ = _get(edge, f"/static/{name}")
    assert status == 200
    assert headers["cache-control"] == "public, max-age=3600"
    assert _get(edge, "/static/../meet.sqlite3")[0] in {400, 404}


def test_an_oversize_upload_is_refused_by_the_proxy(edge: Edge) -> None:
    """Bodies over the largest upload (a 50 MB slide deck) plus margin never reach daphne."""
    connection = _https(edge)
    connection.putrequest("POST", "/accounts/login/")
    connection.putheader("Content-Type", "application/octet-stream")
    connection.putheader("Content-Length", str(OVERSIZE_BYTES))
    connection.endheaders()
    answer = connection.getresponse()
    answer.read()
    connection.close()
    assert answer.status == 413


@pytest.mark.parametrize(
    "path", ["/metrics", "/metrics/", "//metrics", "/%6Detrics", "/metrics?x=1"]
)
def test_metrics_are_never_forwarded(edge: Edge, path: str) -> None:
    """Prometheus reads /metrics on the host; through the proxy nginx answers 404 itself."""
    status, headers, body = _get(edge, path)
    assert status == 404
    assert b"nginx" in body  # nginx's own page, not the web's
    assert "x-frame-options" not in headers  # Django would have set it


def test_tls_for_the_turn_name_is_passed_through_to_coturns_port(edge: Edge) -> None:
    """Issue 12: TURN over TLS on 443. The client sees the backend's certificate, not
    nginx's: nginx routed by SNI and did not terminate the connection."""
    context = ssl.create_default_context(cafile=str(edge.turn_ca))
    with context.wrap_socket(_client_socket(edge.https_port), server_hostname=TURN_HOST) as tls:
        assert tls.getpeercert(binary_form=True) == edge.turn_cert_der
        tls.sendall(b"allocate\n")
        assert tls.recv(100) == b"turn:allocate\n"
    # Any other name gets nginx's certificate, which the TURN-only context does not trust.
    with pytest.raises(ssl.SSLCertVerificationError):
        context.wrap_socket(_client_socket(edge.https_port), server_hostname=ROOM_HOST)


def test_port_80_answers_acme_and_redirects_the_rest(edge: Edge) -> None:
    """http-01 challenges from the webroot certbot writes; everything else to HTTPS."""
    acme = Path(edge.env["MEET_VAR_DIR"]).parent / "acme" / ".well-known" / "acme-challenge"
    acme.mkdir(parents=True)
    (acme / "token-123").write_text("token-123.thumbprint")
    connection = http.client.HTTPConnection("127.0.0.1", edge.http_port, timeout=30)
    for path, status, host in (
        ("/.well-known/acme-challenge/token-123", 200, ROOM_HOST),
        ("/proxy-health", 204, "127.0.0.1"),  # the container's health check
        ("/phong-hop?x=1", 301, ROOM_HOST),
    ):
        connection.request("GET", path, headers={"Host": host})
        answer = connection.getresponse()
        body = answer.read()
        assert answer.status == status, path
        if status == 200:
            assert body == b"token-123.thumbprint"
        if status == 301:
            assert answer.headers["Location"] == f"https://{ROOM_HOST}/phong-hop?x=1"
    connection.close()


def test_the_placeholder_certificate_covers_both_names_and_is_kept(edge: Edge) -> None:
    """Until certbot's arrives, one self-signed certificate for the site and TURN names,
    marked so that deploy/certbot/obtain may replace it; a second run leaves it alone."""
    cert = x509.load_pem_x509_certificate(edge.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {ROOM_HOST, TURN_HOST}
    assert (edge.cert.parent / "meet-placeholder").exists()
    before = edge.cert.read_bytes()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEET_ROOM_HOST": ROOM_HOST,
        "MEET_TLS_CERT": str(edge.cert),
        "MEET_TLS_KEY": str(edge.cert.with_name("privkey.pem")),
    }
    done = subprocess.run([str(NGINX_DIR / "placeholder-cert.sh")], env=env, capture_output=True)
    assert done.returncode == 0
    assert edge.cert.read_bytes() == before
