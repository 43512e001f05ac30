"""DTLS for the worker: AEAD cipher suites only (ASVS 5.0 V17, issue 10).

aiortc 1.16 makes a fresh ECDSA P-256 certificate per peer connection and offers only
strong DTLS-SRTP profiles (AEAD_AES_256_GCM, AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80),
but its DTLS cipher list ends with two CBC-SHA1 suites (ECDHE-ECDSA-AES128-SHA,
-AES256-SHA) that a peer offering nothing better would get. Browsers offer GCM, so
the worker keeps the AEAD suites alone. aiortc has no option for it: ``configure``
wraps ``RTCCertificate._create_ssl_context`` for this process — the one place that does
(aiortc is pinned to 1.16 by mediaworker/forwarding).
"""

from __future__ import annotations

from typing import Any

from aiortc.rtcdtlstransport import RTCCertificate

# OpenSSL names; all ECDHE (forward secrecy) with ECDSA (aiortc's key) and an AEAD.
AEAD_CIPHERS = (
    b"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"
)

_original = RTCCertificate._create_ssl_context


def _aead_only(self: RTCCertificate, srtp_profiles: Any) -> Any:
    context = _original(self, srtp_profiles)
    context.set_cipher_list(AEAD_CIPHERS)
    return context


def configure() -> None:
    """Make every DTLS context of this process accept AEAD cipher suites only."""
    RTCCertificate._create_ssl_context = _aead_only  # type: ignore[method-assign]
