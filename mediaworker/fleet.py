"""``meet media --workers N``: N media workers on one machine, one per core (issue 14).

A worker is one process with one event loop, so one core; a machine with more cores runs
more of them. The fleet starts N ``python -m mediaworker`` processes, each with its own
id (``<MEET_MEDIA_WORKER_ID or host>-<n>``, so its own channel and placement entry), its
own slice of ``MEET_MEDIA_UDP_PORTS`` and its own metrics port (``MEET_MEDIA_METRICS_PORT``
+ n). It is not a supervisor: SIGTERM or SIGINT stop them all, and when one exits the
others are stopped and the fleet exits with its status, so the service manager (systemd,
Kubernetes, compose) restarts the set as it would one worker.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from types import FrameType

from mediaworker.config import metrics_address, udp_ports, worker_id

STOP_TIMEOUT_SECS = 30.0  # longer than a worker's own shutdown grace (worker.py, 20 s)


def fleet_environments(count: int, environ: Mapping[str, str]) -> list[dict[str, str]]:
    """The environment of each of ``count`` workers: its id, ports and metrics port."""
    if count < 1:
        raise ValueError(f"--workers must be 1 or more; got {count}.")
    if environ.get("MEET_MEDIA_WORKER_ID", "").strip():
        base = worker_id(environ)[:60]
    else:
        base = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "worker"
    ports = udp_ports(environ)
    share = 0
    if ports is not None:
        share = (ports[1] - ports[0] + 1) // count
        if share < 1:
            raise ValueError(
                f"MEET_MEDIA_UDP_PORTS has fewer ports than --workers {count}: give each "
                "worker a range of its own."
            )
    address = metrics_address(environ)
    environments = []
    for n in range(count):
        env = dict(environ, MEET_MEDIA_WORKER_ID=f"{base}-{n}")
        if ports is not None:
            low = ports[0] + n * share
            env["MEET_MEDIA_UDP_PORTS"] = f"{low}-{low + share - 1}"
        if address is not None:
            env["MEET_MEDIA_METRICS_PORT"] = str(address[1] + n)
        environments.append(env)
    return environments


def run_fleet(count: int, environ: Mapping[str, str] = os.environ) -> int:
    """Run ``count`` workers until one exits or the fleet is told to stop; its status."""
    environments = fleet_environments(count, environ)
    children = [
        subprocess.Popen([sys.executable, "-m", "mediaworker"], env=env) for env in environments
    ]

    def stop(signum: int, frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    # The first worker to end (the wait is retried across our signal handler). It is
    # reaped here, so its status is read here: Popen no longer can.
    _, status = os.wait()
    stop(signal.SIGTERM, None)
    for child in children:
        try:
            child.wait(timeout=STOP_TIMEOUT_SECS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code
