"""``meet media`` as its own process on Redis, as deployed: the benchmarks' worker.

The tests that need the production shape (tests/mediaworker/workers.py) start it with
the same environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mediaworker.wire import worker_channel

ROOT = Path(__file__).resolve().parent.parent
WORKER_COMMAND = (sys.executable, "-m", "meet", "media")
# The benchmarks' and tests' one worker registers under this id (MEET_MEDIA_WORKER_ID) and
# reads this channel: they talk to it directly, as the web side does once placement named it.
SOLO_WORKER_ID = "solo"
SOLO_CHANNEL = worker_channel(SOLO_WORKER_ID)


def worker_env(redis_url: str, **settings: str) -> dict[str, str]:
    """The environment of a worker on ``redis_url`` offering loopback candidates only.

    ``settings`` are more environment variables (``MEET_RECORDINGS_DIR``, ...)."""
    return dict(
        os.environ,
        REDIS_URL=redis_url,
        MEET_MEDIA_ICE_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="meet.settings",
        LOG_LEVEL="WARNING",
        # No metrics endpoint unless asked for: several workers may run side by side.
        **{"MEET_MEDIA_METRICS_PORT": "0", "MEET_MEDIA_WORKER_ID": SOLO_WORKER_ID, **settings},
    )


def start_worker(redis_url: str, **settings: str) -> subprocess.Popen[str]:
    """Start the worker and wait for the line that says it reads its channel."""
    worker = subprocess.Popen(
        WORKER_COMMAND,
        cwd=ROOT,
        env=worker_env(redis_url, **settings),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    line = worker.stdout.readline()
    if "media worker" not in line:
        raise RuntimeError(f"media worker did not start: {line!r}")
    return worker
