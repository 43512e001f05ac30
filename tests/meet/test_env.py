"""Environment readers of meet/env.py that settings use."""

from __future__ import annotations

import pytest

from meet.env import env_rates


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("join_address=0.1/600", {"join_address": (0.1, 600)}),
        (
            " join_address = 0.05/1200 , chat_user=1/10 ",
            {"join_address": (0.05, 1200), "chat_user": (1.0, 10)},
        ),
    ],
)
def test_rates_are_read_bucket_by_bucket(monkeypatch, raw: str, expected: dict) -> None:
    monkeypatch.setenv("MEET_LIVE_ABUSE_RATES", raw)
    assert env_rates("MEET_LIVE_ABUSE_RATES") == expected


@pytest.mark.parametrize("raw", ["join_address", "join_address=0.1", "=1/2", "x=a/b", "x=1/2.5"])
def test_a_malformed_rate_names_the_variable_and_the_form(monkeypatch, raw: str) -> None:
    monkeypatch.setenv("MEET_LIVE_ABUSE_RATES", raw)
    with pytest.raises(ValueError, match=r"MEET_LIVE_ABUSE_RATES: write each limit as"):
        env_rates("MEET_LIVE_ABUSE_RATES")
