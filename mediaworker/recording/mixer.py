"""Mixing every microphone of a room into one track (numpy; no codecs here).

Decoded audio is added at its place on the program timeline (in samples); the mixer
hands out fixed-size blocks up to a watermark that trails real time by a small
delay, so packets that arrive a little late are still mixed in. Where nobody sent
anything the block is silence. Sums are clipped to [-1, 1].
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


class AudioMixer:
    """A running sum of mono float samples, read out in blocks."""

    def __init__(self, block: int = 1024) -> None:
        self.block = block
        self.emitted = 0  # sample index of the next block to hand out
        self._pending: Samples = np.zeros(0, dtype=np.float32)
        self.late_samples = 0  # arrived after their block was handed out

    def add(self, position: int, samples: Samples) -> None:
        """Mix ``samples`` in, starting at sample ``position`` of the timeline."""
        if position < self.emitted:
            skip = self.emitted - position
            self.late_samples += min(skip, len(samples))
            samples, position = samples[skip:], self.emitted
        if not len(samples):
            return
        start = position - self.emitted
        end = start + len(samples)
        if end > len(self._pending):
            grown = np.zeros(max(end, 2 * len(self._pending)), dtype=np.float32)
            grown[: len(self._pending)] = self._pending
            self._pending = grown
        self._pending[start:end] += samples

    def take(self, until: int) -> list[tuple[int, Samples]]:
        """The blocks that end at or before sample ``until``, with their positions."""
        blocks: list[tuple[int, Samples]] = []
        size = self.block
        while self.emitted + size <= until:
            chunk = np.zeros(size, dtype=np.float32)
            have = min(size, len(self._pending))
            chunk[:have] = self._pending[:have]
            self._pending = self._pending[have:]
            np.clip(chunk, -1.0, 1.0, out=chunk)
            blocks.append((self.emitted, chunk))
            self.emitted += size
        return blocks

    def skip_to(self, position: int) -> None:
        """Start the timeline at ``position`` (nothing before it is wanted)."""
        if position > self.emitted:
            drop = position - self.emitted
            self._pending = self._pending[drop:]
            self.emitted = position
