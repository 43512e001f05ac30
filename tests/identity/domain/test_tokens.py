"""The token rules: scopes by method, our prefix, the digest kept at rest."""

from __future__ import annotations

import hashlib

import pytest

from identity.domain.tokens import looks_like_token, new_token, scope_allows, token_digest


@pytest.mark.parametrize(
    ("scope", "method", "allowed"),
    [
        ("read", "GET", True),
        ("read", "head", True),
        ("read", "OPTIONS", True),
        ("read", "POST", False),
        ("read", "PATCH", False),
        ("read", "DELETE", False),
        ("write", "DELETE", True),
        ("write", "GET", True),
        ("", "GET", True),
        ("", "POST", False),
    ],
)
def test_scope_allows(scope: str, method: str, allowed: bool) -> None:
    assert scope_allows(scope, method) is allowed


def test_new_tokens_are_ours_random_and_digested() -> None:
    first, second = new_token(), new_token()
    assert first != second and looks_like_token(first) and len(first) == 5 + 43
    assert token_digest(first) == hashlib.sha256(first.encode()).hexdigest()
    assert not looks_like_token("eyJhbGciOiJSUzI1NiJ9.e30.sig")  # someone else's bearer
