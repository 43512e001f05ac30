"""Personal access tokens: their form, their digest at rest and their scopes."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "meet_"
TOKEN_BYTES = 32  # 256 bits: a digest without salt or slowness is enough to keep at rest
SHOWN_CHARS = 12  # the start of a token, shown in lists so that its owner recognises it
READ, WRITE = "read", "write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_token() -> str:
    """A new random token, e.g. ``meet_3q2+…`` (URL-safe)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The SHA-256 of a token, hex: what is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether a bearer credential is one of ours (others are left to other schemes)."""
    return text.startswith(TOKEN_PREFIX) and len(text) < 200


def scope_allows(scope: str, method: str) -> bool:
    """A read token reads; a write token does everything its person may."""
    return scope == WRITE or method.upper() in SAFE_METHODS
