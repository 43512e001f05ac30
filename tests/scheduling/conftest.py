"""Scheduling tests start with full abuse-limit buckets (realtime/ratelimit.py)."""

from __future__ import annotations

import secrets

import pytest

from realtime.ratelimit import reset_store


@pytest.fixture(autouse=True)
def _own_abuse_limits(settings) -> None:
    """Each test its own buckets (its own Redis prefix, if on Redis)."""
    settings.MEET_RATELIMIT_PREFIX = f"meet:test:{secrets.token_hex(4)}:"
    reset_store()
