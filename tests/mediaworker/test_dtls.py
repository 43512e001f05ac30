"""Issue 10 (ASVS 5.0 V17): the worker's DTLS certificates and DTLS-SRTP profiles.

aiortc 1.16 makes a new ECDSA P-256 certificate (random name, 30 days) for every
RTCPeerConnection; it offers the SRTP profiles AEAD_AES_256_GCM, AEAD_AES_128_GCM and
AES128_CM_HMAC_SHA1_80 — never the 32-bit tag or NULL ones. Pinned here with real
connections, so an aiortc upgrade that changes either fails this test.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc.rtcdtlstransport import SRTP_PROFILES
from cryptography.hazmat.primitives.asymmetric import ec

from mediaworker.worker import MediaWorker

STRONG_PROFILES = {b"SRTP_AEAD_AES_256_GCM", b"SRTP_AEAD_AES_128_GCM", b"SRTP_AES128_CM_SHA1_80"}


def dtls_of(worker: MediaWorker, peer: str) -> Any:
    """The worker's DTLS transport of a participant's connection."""
    session = worker.routers["r"].members[peer].session
    assert session.pc is not None
    return session.pc.getTransceivers()[0].receiver.transport


async def test_every_connection_has_its_own_certificate(participant, worker: MediaWorker) -> None:
    """Issue 10 (V17): a unique DTLS certificate — one per peer connection, so per
    deployment and per restart too; no key is shared or shipped."""
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3)
    first, second = dtls_of(worker, "a"), dtls_of(worker, "b")
    fingerprints = [{f.value for f in t.getLocalParameters().fingerprints} for t in (first, second)]
    assert fingerprints[0] and fingerprints[0].isdisjoint(fingerprints[1])
    assert "sha-256" in {f.algorithm for f in first.getLocalParameters().fingerprints}
    certificate = first._ssl.get_certificate().to_cryptography()
    assert isinstance(certificate.public_key(), ec.EllipticCurvePublicKey)
    assert certificate.public_key().curve.name == "secp256r1"
    # A worker restarted (or another deployment) makes new ones: none is stored.
    a_again = participant("a3")
    await a_again.join()
    third = {f.value for f in dtls_of(worker, "a3").getLocalParameters().fingerprints}
    assert third.isdisjoint(fingerprints[0] | fingerprints[1])


async def test_only_strong_srtp_profiles_are_offered_and_negotiated(
    participant, worker: MediaWorker
) -> None:
    """Issue 10 (V17): only strong DTLS-SRTP profiles and AEAD cipher suites."""
    assert {p.openssl_profile for p in SRTP_PROFILES} <= STRONG_PROFILES
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3)
    ssl = dtls_of(worker, "a")._ssl
    assert ssl.get_selected_srtp_profile() == b"SRTP_AEAD_AES_256_GCM"
    cipher = ssl.get_cipher_name()
    assert cipher.startswith("ECDHE-ECDSA-") and ("GCM" in cipher or "CHACHA20" in cipher)
    # Whatever the browser offers, the worker accepts nothing but AEAD suites
    # (aiortc's own list ends with two CBC-SHA1 ones).
    accepted = ssl.get_cipher_list()
    assert accepted and all("GCM" in c or "CHACHA20" in c for c in accepted), accepted
    print(f"\nDTLS {ssl.get_protocol_version_name()} {cipher}, {ssl.get_selected_srtp_profile()!r}")
