"""Shared fixtures: translations compiled, services found or clearly skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from meet.i18n import compile_catalogues

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogues(ROOT)


# Tests that read neither the database nor the settings' channel layer give the same
# result on every backend: the media worker's (it loads no Django and makes its own
# layers) and the plain rules' (domain modules, their fuzzing). They are marked
# ``backend_independent``; CI's second pass, on PostgreSQL + Redis, leaves them out
# (they ran, unchanged, in the first).
BACKEND_INDEPENDENT = (
    "mediaworker/",
    "impairment/",
    "rooms/domain/",
    "scheduling/domain/",
    "signaling/domain/",
    "broadcasts/domain/",
    "realtime/test_rates.py",
    "fuzz/test_files.py",
    "fuzz/test_names.py",
    "fuzz/test_units_csv.py",
    "fuzz/test_watch_protocol.py",
    # A weak link's media adaptation: its own server, the worker in-process either way.
    "e2e/test_weak_links.py",
)
# ...except where a worker test reads the web side's settings (which layer, which mode).
BACKEND_DEPENDENT = ("mediaworker/test_embedded.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = ROOT / "tests"
    for item in items:
        where = item.path.relative_to(tests).as_posix()
        if where.startswith(BACKEND_INDEPENDENT) and not where.startswith(BACKEND_DEPENDENT):
            item.add_marker(pytest.mark.backend_independent)


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
