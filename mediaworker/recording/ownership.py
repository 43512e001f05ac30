"""Who owns a recording directory: an advisory lock held for as long as it is written.

The recorder takes ``owner.lock`` (``flock``) when it starts and keeps it until the
recording is finalised; the kernel drops it when the process dies, even on SIGKILL.
So "the owner is gone" is simply "the lock can be taken" — no pid files that a
recycled pid could fool. A finaliser holds the same lock, so two processes never
finalise one recording at once.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from mediaworker.wire.layout import RecordingPaths


class OwnerLock:
    """An exclusive, non-blocking lock on one recording directory."""

    def __init__(self, directory: Path) -> None:
        self.path = RecordingPaths(directory).owner_lock
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; False when another process (or this one) holds it."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for people reading the directory
        self._fd = fd
        return True

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None
