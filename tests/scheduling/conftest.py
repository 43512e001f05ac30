"""Scheduling tests start with empty allowances (``rooms.throttle`` counts in the cache)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_allowances() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()
