"""Shared fixtures: translations compiled, services found or clearly skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from meet.i18n import compile_catalogues

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogues(ROOT)


def services_required() -> bool:
    """CI sets MEET_REQUIRE_SERVICES=1: a missing service then fails instead of skipping."""
    return os.environ.get("MEET_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def missing_service(what: str) -> None:
    """Fail in CI, skip with a clear reason elsewhere."""
    message = f"{what} is not available on this machine"
    if services_required():
        pytest.fail(f"{message} (MEET_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def directory(db: None) -> None:
    """Today's 34 provinces with their departments."""
    from rooms.services.directory import provinces_load

    provinces_load()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """PBKDF2 is slow by design; tests that create dozens of unit logins need not be."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
