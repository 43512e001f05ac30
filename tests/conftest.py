"""Shared fixtures: translations compiled, services found or clearly skipped."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meet.i18n import compile_catalogues
from tests.leftover_threads import DecoderThreads

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
    # Placement runs its own Redis client under a prefix of its own, whatever the layer.
    "placement/",
    "rooms/domain/",
    "scheduling/domain/",
    "competitions/domain/",
    "courses/domain/",
    "signaling/domain/",
    "broadcasts/domain/",
    "identity/domain/",
    "realtime/test_rates.py",
    "fuzz/test_files.py",
    "fuzz/test_names.py",
    "fuzz/test_units_csv.py",
    "fuzz/test_watch_protocol.py",
    # A weak link's media adaptation: its own server, the worker in-process either way.
    "e2e/test_weak_links.py",
    "e2e/test_weak_publisher.py",
    # The manifests' checks start their processes with the manifests' environment alone.
    "meet/test_kubernetes.py",
)
# ...except where a worker test reads the web side's settings (which layer, which mode).
BACKEND_DEPENDENT = ("mediaworker/test_embedded.py",)
# Tests that compare media rates between windows (within 10 %) or wait for a link's
# estimate to climb: a second test run beside them on two cores starves the browsers'
# encoders and the worker, and their figures then tell of the load, not of the code.
# They are marked ``quiet``; CI runs them alone, after its two passes (.ci/run).
QUIET = (
    "e2e/test_weak_links.py",
    "e2e/test_weak_publisher.py",
    "mediaworker/test_layer_forwarding.py",
    # Its late joiner must see video within a second of joining (an older test's bound).
    "mediaworker/test_room.py",
    # The same bound through a worker of its own process (1.25 s beside CI's other pass).
    "mediaworker/test_redis_worker.py",
    # Kills a worker mid-recording: the next worker transcodes the new part while both
    # members re-offer. Beside CI's other pass one member's new offer went unanswered for
    # 30 s (the room had moved: the new part was recording); alone it passes every time.
    "meet/test_failover.py",
)


DECODERS = DecoderThreads()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    before = DECODERS.alive()
    yield
    DECODERS.note(before, item.nodeid)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    left = DECODERS.left()
    if left:
        terminalreporter.section("aiortc decoder threads left running (a peer never closed)")
        for test, count in sorted(left.items()):
            terminalreporter.write_line(f"{count} started by {test}")


def pytest_unconfigure(config: pytest.Config) -> None:
    DECODERS.release()  # else the interpreter's exit waits for them for ever


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = ROOT / "tests"
    for item in items:
        where = item.path.relative_to(tests).as_posix()
        if where.startswith(BACKEND_INDEPENDENT) and not where.startswith(BACKEND_DEPENDENT):
            item.add_marker(pytest.mark.backend_independent)
        if where.startswith(QUIET):
            item.add_marker(pytest.mark.quiet)


def services_required() -> bool:
    """CI sets MEET_REQUIRE_SERVICES=1: a missing service then fails instead of skipping."""
    return os.environ.get("MEET_REQUIRE_SERVICES", "") in {"1", "true", "yes"}


def redis_for_tests() -> str:
    """The Redis database of the tests that need one whatever the settings' channel layer.

    MEET_TEST_REDIS_URL, database 15 by default: CI gives each of its passes, which run
    side by side, a database of its own (.ci/run)."""
    return os.environ.get("MEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_of_layer() -> str:
    """The Redis of the settings' channel layer (REDIS_URL), else the tests' own database."""
    return os.environ.get("REDIS_URL") or redis_for_tests()


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


FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """PBKDF2 is slow by design; tests that create dozens of unit logins need not be."""
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@contextlib.contextmanager
def module_data(django_db_blocker: Any) -> Iterator[None]:
    """For a module-scoped fixture: what it writes is made once for the module's tests and
    rolled back after the last; each test's own writes roll back with ``db``, inside."""
    from django.db import transaction
    from django.test import override_settings

    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS),
    ):
        yield
        transaction.set_rollback(True)
