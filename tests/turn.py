"""A real coturn for tests: the shipped deploy/coturn/turnserver.conf on loopback.

``running_coturn`` starts ``turnserver`` as an ordinary child process (no root: every
port is above 1024, its pid file, log and database are in the test's directory) from
the shipped configuration with a small overlay of the test's own values: a random
shared secret, the realm, free listening ports, 127.0.0.1 as listening and relay
address, a TLS listener with a certificate signed by a CA made for the test, and,
unless told otherwise, ``allowed-peer-ip=127.0.0.1`` with ``allow-loopback-peers`` (coturn's
own loopback guard) — the shipped file denies loopback as a relay peer, which is right
in production and would stop a test on one machine.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import ROOT, missing_service

SHIPPED_CONFIG = ROOT / "deploy" / "coturn" / "turnserver.conf"
LOOPBACK = "127.0.0.1"
REALM = "turn.test.meet"
START_TIMEOUT_SECS = 10.0
START_ATTEMPTS = 3  # each with new ports, when the last ones were taken meanwhile
# Options the overlay sets: their shipped lines are left out so the test's value is the
# only one (coturn accepts every static-auth-secret it reads, for instance).
OVERLAID = frozenset(
    {
        "listening-port",
        "tls-listening-port",
        "min-port",
        "max-port",
        "static-auth-secret",
        "realm",
        "cert",
        "pkey",
    }
)


@dataclass(frozen=True)
class Coturn:
    """A running coturn: where it listens and what it trusts."""

    secret: str
    realm: str
    port: int  # STUN/TURN over UDP and TCP
    tls_port: int  # TURN over TLS
    ca_file: Path  # the CA that signed its certificate: trust it to reach tls_port
    log_file: Path
    allows_loopback: bool  # the test overlay lets it relay to 127.0.0.1

    @property
    def udp_url(self) -> str:
        return f"turn:{LOOPBACK}:{self.port}?transport=udp"

    @property
    def tls_url(self) -> str:
        return f"turns:{LOOPBACK}:{self.tls_port}?transport=tcp"

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def relayed(self, username: str) -> list[Relayed]:
        """The closed allocations of ``username``: coturn logs their use when they end."""
        log = self.log()
        ports = {
            session: int(port)
            for session, port in re.findall(
                rf"session (\d+): closed \(2nd stage\), user <{re.escape(username)}> "
                rf"realm <[^>]*> origin <[^>]*>, local {LOOPBACK}:(\d+),",
                log,
            )
        }
        return [
            Relayed(listener=ports[session], from_peer_bytes=int(rb), to_peer_bytes=int(sb))
            for session, rb, sb in re.findall(
                rf"session (\d+): peer usage: realm=<[^>]*>, username=<{re.escape(username)}>, "
                r"rp=\d+, rb=(\d+), sp=\d+, sb=(\d+)",
                log,
            )
            if session in ports
        ]


@dataclass(frozen=True)
class Relayed:
    """One allocation's traffic with its peers, and the listener the client came in on."""

    listener: int
    from_peer_bytes: int
    to_peer_bytes: int


def free_port() -> int:
    """A port free for both UDP and TCP on loopback (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((LOOPBACK, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port on loopback")


def write_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a certificate it signed for 127.0.0.1: (ca, cert, key) files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "meet test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (directory / n for n in ("ca.pem", "cert.pem", "key.pem"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


def overlaid_config(shipped: str, overlay: list[str]) -> str:
    """The shipped configuration without the overlaid options, then the overlay."""
    kept = []
    for line in shipped.splitlines():
        name = line.split("#", 1)[0].strip().partition("=")[0].strip()
        if name not in OVERLAID:
            kept.append(line)
    return "\n".join([*kept, "", "# -- test overlay (tests/turn.py)", *overlay, ""])


def turnserver() -> str | None:
    return shutil.which("turnserver") or (
        "/usr/bin/turnserver" if Path("/usr/bin/turnserver").exists() else None
    )


@contextlib.contextmanager
def running_coturn(directory: Path, *, allow_loopback_peer: bool = True) -> Iterator[Coturn]:
    """coturn from the shipped configuration plus the test overlay, stopped afterwards."""
    program = turnserver()
    if program is None:
        missing_service("coturn (turnserver; Debian package coturn)")
        raise AssertionError("unreachable")
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = write_certificate(directory)
    secret = secrets.token_urlsafe(24)
    log_file = directory / "turnserver.log"
    # A port free when chosen may be taken before coturn binds it (another test's
    # connection got it as its ephemeral port: errno 98 in coturn's log): new ports.
    for attempt in range(START_ATTEMPTS):
        port, tls_port = free_port(), free_port()
        relay_low = 49160 + secrets.randbelow(700)
        overlay = [
            f"listening-ip={LOOPBACK}",
            f"relay-ip={LOOPBACK}",
            f"listening-port={port}",
            f"tls-listening-port={tls_port}",
            # Alternative ports (RFC 5780) default to port + 1: keep them off other tests'.
            "no-rfc5780",
            f"min-port={relay_low}",
            f"max-port={relay_low + 99}",
            f"static-auth-secret={secret}",
            f"realm={REALM}",
            f"cert={cert_file}",
            f"pkey={key_file}",
            f"pidfile={directory / 'turnserver.pid'}",
            f"userdb={directory / 'turndb'}",
            f"log-file={log_file}",
            "simple-log",
            "no-stdout-log",
            "verbose",
        ]
        if allow_loopback_peer:
            # coturn refuses loopback peers on its own too, whatever the allow-list says.
            overlay += [f"allowed-peer-ip={LOOPBACK}", "allow-loopback-peers"]
        config = directory / "turnserver.conf"
        config.write_text(overlaid_config(SHIPPED_CONFIG.read_text(encoding="utf-8"), overlay))
        process = subprocess.Popen(
            [program, "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
        coturn = Coturn(
            secret=secret,
            realm=REALM,
            port=port,
            tls_port=tls_port,
            ca_file=ca_file,
            log_file=log_file,
            allows_loopback=allow_loopback_peer,
        )
        if _wait_listening(process, coturn):
            break
        _stop(process)
        taken = coturn.log_file.exists() and "errno=98" in coturn.log()
        if not taken or attempt + 1 == START_ATTEMPTS:
            pytest.fail(f"turnserver did not listen within {START_TIMEOUT_SECS:g} s")
        log_file.unlink(missing_ok=True)
    try:
        yield coturn
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _wait_listening(process: subprocess.Popen[bytes], coturn: Coturn) -> bool:
    """Whether coturn listens on both its ports within START_TIMEOUT_SECS."""
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = coturn.log()[-3000:] if coturn.log_file.exists() else ""
            pytest.fail(f"turnserver exited with {process.returncode}: {tail}")
        with contextlib.suppress(OSError):
            for port in (coturn.port, coturn.tls_port):
                socket.create_connection((LOOPBACK, port), timeout=1).close()
            return True
        if coturn.log_file.exists() and "errno=98" in coturn.log():
            return False  # a port was taken: coturn would retry it forever
        time.sleep(0.1)
    return False
