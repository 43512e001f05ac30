"""A worker whose stop hangs ends anyway, and says where it hung.

``run_forever``'s watchdog fires SHUTDOWN_GRACE_SECS after SIGTERM; here it is called
at once in a process whose loop holds a task that will not finish, as a hung close
would leave it."""

from __future__ import annotations

import subprocess
import sys

from mediaworker.worker import HUNG_EXIT_STATUS
from tests.conftest import ROOT

HUNG = """
import asyncio, threading
from mediaworker.worker import _give_up_stopping

async def deaf_to_cancellation():
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass

async def main():
    asyncio.ensure_future(deaf_to_cancellation())
    await asyncio.sleep(0)
    threading.Thread(target=_give_up_stopping, args=(asyncio.get_running_loop(),)).start()
    await asyncio.sleep(30)

asyncio.run(main())
"""


def test_a_hung_stop_exits_abnormally_with_every_thread_and_task_on_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-c", HUNG], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == HUNG_EXIT_STATUS, done.stderr
    assert "shutdown still running after 20 s" in done.stderr
    assert "Thread 0x" in done.stderr  # faulthandler's stacks, one per thread
    assert "task left on the loop" in done.stderr
    assert "deaf_to_cancellation" in done.stderr
