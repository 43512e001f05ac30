"""Fixtures: an in-process media worker on an in-memory layer, and participants."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer

from mediaworker.config import MediaConfig
from mediaworker.worker import MediaWorker
from tests.impairment.conftest import impaired_answer  # noqa: F401 (a fixture, used here)
from tests.mediaworker.client import MediaClient
from tests.mediaworker.workers import running

LOOPBACK_ONLY = MediaConfig(ice_hosts=("127.0.0.1",), ice_loopback=True)


@pytest.fixture
def layer() -> InMemoryChannelLayer:
    """A fresh in-memory channel layer (independent of the settings' layer)."""
    return InMemoryChannelLayer()


@pytest.fixture
async def worker(layer: InMemoryChannelLayer, tmp_path: Path) -> AsyncIterator[MediaWorker]:
    """The media worker as a task on this event loop, offering loopback candidates.

    It records under ``tmp_path`` (the tests' ``new_recording(tmp_path)``)."""
    config = dataclasses.replace(LOOPBACK_ONLY, recordings_root=tmp_path)
    async with running(MediaWorker(layer, config=config)) as worker:
        yield worker


@pytest.fixture
async def participant(
    layer: InMemoryChannelLayer, worker: MediaWorker
) -> AsyncIterator[Callable[..., MediaClient]]:
    """Make participants of room "r" (not joined yet); all are closed afterwards."""
    made: list[MediaClient] = []

    def make(peer: str, **options: Any) -> MediaClient:
        client = MediaClient(layer, room=options.pop("room", "r"), peer=peer, **options)
        made.append(client)
        return client

    yield make
    await asyncio.gather(*(c.close() for c in made), return_exceptions=True)
