"""The back-off of mails the server refused (issue 12: mail that is never lost)."""

from __future__ import annotations

import pytest

from scheduling.domain.backoff import gives_up, retry_delay_secs


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [
        (0, 0),
        (1, 60),
        (2, 120),
        (3, 240),
        (6, 1920),
        (7, 3600),  # capped (3840)
        (10_000, 3600),  # no huge integer, still the cap
    ],
)
def test_retry_delay_doubles_up_to_the_cap(attempts: int, expected: int) -> None:
    assert retry_delay_secs(attempts=attempts, base_secs=60, max_secs=3600) == expected


@pytest.mark.parametrize(
    ("attempts", "max_attempts", "expected"),
    [(1, 10, False), (9, 10, False), (10, 10, True), (11, 10, True), (1, 0, True)],
)
def test_gives_up_after_the_last_try(attempts: int, max_attempts: int, expected: bool) -> None:
    assert gives_up(attempts=attempts, max_attempts=max_attempts) is expected
