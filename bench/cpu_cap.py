"""A CPU share for one process (a benchmark's media worker), through the cgroup CPU quota.

On a 2-core machine the viewers a benchmark needs take most of the cores, so two workers
cannot each show what they would hold on a core of their own (docs/benchmarks.md,
"Scale-out"). Capping every worker at the same share stands in for that: each worker gets
``cores`` of CPU time however busy the machine is, the viewers the rest, and one worker
versus two compares the workers, not the machine's spare time.

cgroup v2 (``cpu.max``) or v1 (``cpu.cfs_quota_us``), whichever this machine mounts; the
period is short (10 ms) so a capped worker is paused for milliseconds, not a tenth of a
second, when its share runs out. Needs the right to make cgroups (root here).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PERIOD_US = 10_000
_ROOTS = (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"))


class CapError(RuntimeError):
    """No cgroup CPU controller this process may use."""


def _controller() -> tuple[Path, str]:
    for root in _ROOTS:
        if (root / "cpu.cfs_quota_us").exists():
            return root, "v1"
        controllers = root / "cgroup.controllers"
        if controllers.exists() and "cpu" in controllers.read_text().split():
            return root, "v2"
    raise CapError("no cgroup CPU controller is mounted")


class CpuCap:
    """``pid`` limited to ``cores`` of CPU time (all its threads) until ``release``."""

    def __init__(self, pid: int, cores: float, name: str) -> None:
        if not 0.01 <= cores <= (os.cpu_count() or 1):
            raise CapError(f"a share of {cores} cores is not possible here")
        root, version = _controller()
        self._group = root / f"meet-bench-{name}-{os.getpid()}"
        quota = int(cores * PERIOD_US)
        try:
            self._group.mkdir(exist_ok=True)
            if version == "v1":
                (self._group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (self._group / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                with contextlib.suppress(OSError):  # already on, or not ours to turn on
                    (root / "cgroup.subtree_control").write_text("+cpu")
                (self._group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            (self._group / "cgroup.procs").write_text(str(pid))
        except OSError as exc:
            self.release()
            raise CapError(f"cannot cap process {pid} in {self._group}: {exc}") from exc
        self.cores = cores

    def throttled_secs(self) -> float:
        """How long the cap held the process back so far (cpu.stat), seconds."""
        with contextlib.suppress(OSError):
            for line in (self._group / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "throttled_time":  # v1, nanoseconds
                    return int(value) / 1e9
                if key == "throttled_usec":  # v2
                    return int(value) / 1e6
        return 0.0

    def release(self) -> None:
        """Remove the group (its processes, if any are left, go back to the root)."""
        if not self._group.exists():
            return
        with contextlib.suppress(OSError):
            for pid in (self._group / "cgroup.procs").read_text().split():
                (self._group.parent / "cgroup.procs").write_text(pid)
        with contextlib.suppress(OSError):
            self._group.rmdir()
