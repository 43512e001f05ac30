"""The realtime core's token buckets, shared by both sockets (realtime/rates.py)."""

from __future__ import annotations

import math

import pytest

from realtime import rates as ratelimit


def test_bucket_gives_a_burst_then_one_every_period() -> None:
    bucket = ratelimit.Bucket.full(ratelimit.Rate(every_secs=20.0, burst=3), now=0.0)
    assert [ratelimit.allow([bucket], 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert ratelimit.allow([bucket], 0.0) == pytest.approx(20.0)
    assert ratelimit.allow([bucket], 10.0) == pytest.approx(10.0)
    assert ratelimit.allow([bucket], 20.0) == 0.0


def test_a_refusal_by_one_bucket_takes_nothing_from_the_other() -> None:
    rate = ratelimit.Rate(every_secs=20.0, burst=1)
    connection = ratelimit.Bucket.full(rate, 0.0)
    address = ratelimit.Bucket.full(rate, 0.0)
    address.take()
    assert ratelimit.allow([connection, address], 0.0) > 0
    assert connection.tokens == 1.0


def test_address_buckets_forget_the_least_recent() -> None:
    buckets = ratelimit.AddressBuckets(ratelimit.Rate(20.0, 1), size=2)
    first = buckets.get("a", 0.0)
    first.take()
    buckets.get("b", 0.0)
    buckets.get("c", 0.0)  # "a" is forgotten
    assert buckets.get("a", 0.0).tokens == 1.0


def test_a_rate_per_second_is_one_every_so_many_seconds() -> None:
    assert ratelimit.Rate.per_second(2.0, 10) == ratelimit.Rate(every_secs=0.5, burst=10)
    assert ratelimit.Rate.per_second(0.0, 3).every_secs == math.inf


def test_a_rate_of_zero_gives_the_burst_and_then_nothing() -> None:
    limiter = ratelimit.Limiter({"default": ratelimit.Rate.per_second(0.0, 2)}, {})
    assert [limiter.allow("x", t) for t in (0.0, 0.0, 1000.0)] == [True, True, False]
