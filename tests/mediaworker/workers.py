"""Media workers for tests: one as a task on the test's event loop, or ``meet media`` as
its own process on Redis (the production shape, started as bench/worker.py starts it)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

from bench.worker import ROOT, WORKER_COMMAND, worker_env
from mediaworker import ice
from mediaworker.worker import MediaWorker

START_TIMEOUT_SECS = 30


@contextlib.asynccontextmanager
async def running(worker: MediaWorker) -> AsyncIterator[MediaWorker]:
    """``worker`` running as a task on this event loop until the block ends.

    Afterwards the process's ICE host addresses and the loop's UDP ports are the
    defaults again: the worker's config changed them for every peer connection of the
    process (of the loop: the test's clients too)."""
    task = asyncio.ensure_future(worker.run())
    await worker.ready.wait()
    yield worker
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    ice.restore_host_addresses()
    ice.use_udp_ports(None, asyncio.get_running_loop())


async def start_media_process(redis_url: str, **settings: str) -> asyncio.subprocess.Process:
    """``meet media`` on ``redis_url`` offering loopback candidates, once it reads its channel.

    ``settings`` are more environment variables (``MEET_RECORDINGS_DIR``, ...)."""
    process = await asyncio.create_subprocess_exec(
        *WORKER_COMMAND,
        cwd=ROOT,
        env=worker_env(redis_url, **settings),
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_SECS)
    assert b"media worker" in line, line
    return process


async def stop_media_process(process: asyncio.subprocess.Process, timeout_secs: float) -> None:
    """SIGTERM a worker process still running and wait for it to exit."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout_secs)
