"""Media workers for tests: one as a task on the test's event loop, or ``meet media`` as
its own process on Redis (the production shape, started as bench/worker.py starts it)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator

from bench.worker import ROOT, WORKER_COMMAND, worker_env
from mediaworker import ice
from mediaworker.worker import HUNG_EXIT_STATUS, SHUTDOWN_GRACE_SECS, MediaWorker

START_TIMEOUT_SECS = 30
STOP_MARGIN_SECS = 10  # past the worker's own grace: its watchdog has fired by then


@contextlib.asynccontextmanager
async def running(worker: MediaWorker) -> AsyncIterator[MediaWorker]:
    """``worker`` running as a task on this event loop until the block ends.

    Afterwards the process's ICE host addresses and the loop's UDP ports are the
    defaults again: the worker's config changed them for every peer connection of the
    process (of the loop: the test's clients too)."""
    task = asyncio.ensure_future(worker.run())
    await worker.ready.wait()
    yield worker
    worker.stop()
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


async def stop_media_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM a worker process still running and wait for it to stop by itself.

    The worker's own watchdog ends a stop that outlives SHUTDOWN_GRACE_SECS, printing
    where each thread was (in the test's captured stderr) and exiting with
    HUNG_EXIT_STATUS: that fails here, with the step that hung, not as a bare timeout."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), SHUTDOWN_GRACE_SECS + STOP_MARGIN_SECS)
        assert status != HUNG_EXIT_STATUS, "the worker's shutdown hung (stacks in its stderr)"
