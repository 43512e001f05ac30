"""The live room's per-connection token buckets (rates given per second, as in settings)."""

from __future__ import annotations

import pytest

from realtime.rates import Rate
from signaling.domain.ratelimit import RateLimiter, rates_from


def test_a_burst_passes_then_the_rate_holds() -> None:
    limiter = RateLimiter(
        rates={"default": Rate.per_second(1.0, 3), "chat": Rate.per_second(1.0, 2)}
    )
    assert [limiter.allow("chat.send", 0.0) for _ in range(3)] == [True, True, False]
    assert limiter.strikes == 1
    assert limiter.allow("chat.send", 0.5) is False
    assert limiter.allow("chat.send", 1.1) is True
    assert limiter.strikes == 0


def test_buckets_are_separate_per_kind() -> None:
    limiter = RateLimiter(
        rates={
            "default": Rate.per_second(1.0, 1),
            "chat": Rate.per_second(1.0, 1),
            "rtc": Rate.per_second(10.0, 5),
        }
    )
    assert limiter.allow("chat.send", 0.0)
    assert limiter.allow("hand.raise", 0.0)  # default bucket, untouched by chat
    assert all(limiter.allow("rtc.ice", 0.0) for _ in range(5))
    assert not limiter.allow("rtc.ice", 0.0)


@pytest.mark.parametrize("elapsed", [10.0, 1000.0])
def test_tokens_never_exceed_the_burst(elapsed: float) -> None:
    limiter = RateLimiter(rates={"default": Rate.per_second(5.0, 2)})
    limiter.allow("ping", 0.0)
    assert [limiter.allow("ping", elapsed) for _ in range(3)] == [True, True, False]


def test_settings_override_the_defaults() -> None:
    rates = rates_from({"chat": (2, 10)})
    assert rates["chat"] == Rate.per_second(2.0, 10)
    assert "rtc" in rates
