"""aiortc's decoder threads that a test left running, named and let go at the end.

An ``RTCRtpReceiver`` that starts receiving starts a decoder thread (not a daemon) that
waits on its queue until the receiver stops, which only closing its peer connection
does. A test that never closes a peer leaves one behind, and the interpreter's exit
then waits for it for ever: the suite finished, every test passed, and pytest hung
(seen twice, once with 13 such threads). Each test's new decoder threads are noted
here; at the end the ones still running are named with the test that started them,
and each is handed the ``None`` its receiver's stop would have sent.
"""

from __future__ import annotations

import threading
from typing import Any

DECODER_NAMES = ("audio-decoder", "video-decoder")  # aiortc.rtcrtpreceiver's threads


class DecoderThreads:
    """Which test started each decoder thread still alive."""

    def __init__(self) -> None:
        self._started_by: dict[threading.Thread, str] = {}

    @staticmethod
    def alive() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name in DECODER_NAMES and t.is_alive()}

    def note(self, before: set[threading.Thread], test: str) -> None:
        """After ``test``: the decoder threads it started and did not stop."""
        for thread in self.alive() - before:
            self._started_by.setdefault(thread, test)

    def left(self) -> dict[str, int]:
        """Tests whose decoder threads still run, with how many."""
        counts: dict[str, int] = {}
        for thread in self.alive():
            test = self._started_by.get(thread, "(before the first test)")
            counts[test] = counts.get(test, 0) + 1
        return counts

    def release(self) -> None:
        """End every one still waiting, as its receiver's stop would have."""
        for thread in self.alive():
            args: tuple[Any, ...] = getattr(thread, "_args", ())  # loop, input, output queue
            if len(args) > 1 and hasattr(args[1], "put"):
                args[1].put(None)
