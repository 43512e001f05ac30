"""Scheduling tests start with full abuse-limit buckets (realtime/ratelimit.py); ``smtp``
gives a real SMTP server on loopback."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from realtime.ratelimit import reset_store
from tests.conftest import missing_service
from tests.scheduling.mailqueue import SmtpServer, free_port


@pytest.fixture(autouse=True)
def _own_abuse_limits(settings) -> None:
    """Each test its own buckets (its own Redis prefix, if on Redis)."""
    settings.MEET_RATELIMIT_PREFIX = f"meet:test:{secrets.token_hex(4)}:"
    reset_store()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    """The mail settings point at a loopback port; the server is not started yet."""
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        missing_service("aiosmtpd (the dev extras)")
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()
