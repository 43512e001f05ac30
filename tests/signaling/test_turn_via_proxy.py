"""A school whose firewall lets only TCP 443 out: TURN over TLS through nginx's port 443.

Issue 12's Done-when: "a participant behind a firewall that allows only TCP 443 joins a
room through TURN over TLS on 443" — here on the exact production path. nginx runs the
shipped deploy/nginx/ templates (tests/nginx.py); its stream router reads the SNI of each
TLS connection on its public port and passes the MEET_TURN_HOST name through, untouched,
to a real coturn's TLS listener (tests/turn.py: the shipped deploy/coturn/turnserver.conf).
The app issues the only ice server the participant gets (MEET_TURN_URLS =
``turns:localhost:<nginx's port>?transport=tcp``, MEET_TURN_SECRET = coturn's); the
participant is relay-only and trusts only the test CA that issued coturn's certificate
for ``localhost`` (SSL_CERT_FILE), so the handshake succeeds only if nginx did not
terminate it. ``localhost`` is the TURN name because Python sends SNI for host names, not
for addresses; the HTTPS side has another name (meet.test) and nginx's own placeholder
certificate, which that CA did not sign.

The room socket itself is the in-process one of the other live-room tests (tests/signaling/
live.py), not a socket through nginx: tests/meet/test_nginx.py covers WebSockets through
the proxy.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mediaworker.worker import MediaWorker
from tests.nginx import configure_nginx, free_port, nginx_program, proxy_env, wait_listening
from tests.signaling.test_turn import (
    join_through_turn,
    local_candidate_types,
    media_flows_both_ways,
    relayed_through,
)
from tests.turn import Coturn

pytestmark = pytest.mark.django_db(transaction=True)

TURN_HOST = "localhost"  # resolves through /etc/hosts; coturn's test certificate names it
ROOM_HOST = "meet.test"


@dataclass(frozen=True)
class Proxy:
    """nginx running the shipped templates: its public TLS port."""

    port: int

    @property
    def turn_url(self) -> str:
        return f"turns:{TURN_HOST}:{self.port}?transport=tcp"


@pytest.fixture
def proxy(coturn: Coturn, tmp_path: Path) -> Iterator[Proxy]:
    """nginx whose stream router sends TURN_HOST to coturn's TLS port, the rest to an
    HTTPS server (its web upstream is not running: no HTTP request is made here)."""
    nginx = nginx_program()
    base, out = tmp_path / "edge", tmp_path / "edge" / "nginx"
    out.mkdir(parents=True)
    env = proxy_env(base, free_port(), coturn.tls_port, room_host=ROOM_HOST, turn_host=TURN_HOST)
    command = configure_nginx(nginx, env, out)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = int(env["MEET_PROXY_HTTPS_PORT"])
    try:
        wait_listening(port, process, "nginx")
        yield Proxy(port)
    finally:
        process.terminate()
        process.wait(timeout=10)


def certificate_seen(port: int, server_name: str, ca_file: Path) -> bytes:
    """The certificate (DER) presented on nginx's public port to a client asking for
    ``server_name``, verified against ``ca_file`` only."""
    context = ssl.create_default_context(cafile=str(ca_file))
    raw = socket.create_connection((TURN_HOST, port), timeout=30)
    with context.wrap_socket(raw, server_hostname=server_name) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


async def test_a_relay_only_participant_joins_through_nginxs_port_443_to_coturn(
    connect: Any,
    worker: MediaWorker,
    coturn: Coturn,
    proxy: Proxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the participant's TLS client will verify against: the test CA, nothing else.
    monkeypatch.setenv("SSL_CERT_FILE", str(coturn.ca_file))
    coturns = x509.load_pem_x509_certificate(
        (coturn.ca_file.with_name("cert.pem")).read_bytes()
    ).public_bytes(serialization.Encoding.DER)
    # nginx's port, asked for the TURN name, presents coturn's own certificate (passed
    # through, not terminated); for the site's name, nginx's, which that CA did not sign.
    assert certificate_seen(proxy.port, TURN_HOST, coturn.ca_file) == coturns
    with pytest.raises(ssl.SSLCertVerificationError):
        certificate_seen(proxy.port, ROOM_HOST, coturn.ca_file)

    relayed, direct, username = await join_through_turn(
        connect, worker, proxy.turn_url, coturn.secret, monkeypatch
    )
    try:
        # Relay candidates only, all allocated over the one turns: server (nginx's port).
        assert local_candidate_types(relayed) == {"relay"}
        await media_flows_both_ways(relayed, direct)
    finally:
        await asyncio.gather(relayed.close(), direct.close())
    # coturn's log: this user's allocation came in on its TLS listener, coturn itself
    # terminated the TLS, and the allocation carried media to and from the peer.
    assert await relayed_through(coturn, username, listener=coturn.tls_port)
    session = rf"username=<{re.escape(username)}>, lifetime=\d+, cipher=\S+, method=TLSv1\.[23]"
    assert re.search(session, coturn.log()), coturn.log()[-3000:]
