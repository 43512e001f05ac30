"""One live room's recording, as its router drives it.

While the room is recorded (``RecordingIn`` start → stop), the router has the program
picked after every change (mediaworker/recording/program.py): its video and the
microphones that spoke last go to the room's ``Recorder``, which taps them. A recorded
room stays open while empty (a presenter reconnecting), but not forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from mediaworker import slots as ranking
from mediaworker.actions import RecordingIn
from mediaworker.members import Streams
from mediaworker.recording.program import choose_program
from mediaworker.recording.recorder import Recorder, RecordingError

logger = logging.getLogger(__name__)

# A recorded room stays open while empty (a presenter reconnecting), but not forever.
EMPTY_RECORDING_TIMEOUT_SECS = 1800.0
MAX_MIXED_MICS = 6  # microphones mixed into a recording (the most recent speakers)

# What the room must do for a recording command (the rest is done here).
RoomStep = Literal["start", "stop", ""]


class RecordingControl:
    """The room's ``Recorder`` (if any), the program it shows and the empty-room clock."""

    def __init__(
        self,
        room: str,
        *,
        segment_secs: float,
        on_finished: Callable[[Path], None] | None = None,
    ) -> None:
        self.room = room
        self.segment_secs = segment_secs
        self.on_finished = on_finished  # from the recorder's thread, when it is done
        self.recorder: Recorder | None = None
        self.program: str | None = None  # the recording's video, "<peer>/<source>"
        self.empty_since: float | None = None  # loop time the recorded room emptied

    @property
    def broadcasting(self) -> bool:
        """Whether the room's recording is a broadcast (public viewers may watch)."""
        return self.recorder is not None and self.recorder.broadcast

    def step(self, action: RecordingIn) -> RoomStep:
        """What the room must do for ``action``: start or stop a recording, or nothing.

        A chapter is marked here; a command for another recording than this room's is
        logged and ignored.
        """
        current = self.recorder
        if action.action == "start":
            same = current is not None and current.recording_id == action.recording
            return "" if same else "start"
        if action.action == "chapter" and current is not None and not action.recording:
            current.chapter(action.title, action.text)  # a slide change: the current one
        elif current is None or current.recording_id != action.recording:
            if not action.recording:  # a slide change while nothing is recorded
                return ""
            logger.info(
                "room %s: %s for recording %s ignored: not recording it",
                self.room,
                action.action,
                action.recording,
            )
        elif action.action == "stop":
            return "stop"
        elif action.action == "chapter":
            current.chapter(action.title, action.text)
        return ""

    def start(self, action: RecordingIn) -> Recorder | None:
        """Start recording into ``action.directory``; None if it cannot (logged)."""
        recorder = Recorder(
            recording_id=action.recording,
            directory=Path(action.directory),
            broadcast=action.broadcast,
            segment_secs=self.segment_secs,
            room=self.room,
            on_finished=self.on_finished,
        )
        try:
            recorder.start()
        except (RecordingError, OSError) as exc:
            logger.warning("room %s: cannot record %s: %s", self.room, action.recording, exc)
            return None
        self.recorder = recorder
        logger.info("room %s: recording %s started", self.room, action.recording)
        return recorder

    def stop(self) -> Recorder | None:
        """Stop the current recording (its thread finalises it); the recorder, or None."""
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return None
        recorder.stop()  # the recorder's thread finalises in the background
        logger.info("room %s: recording %s stopped", self.room, recorder.recording_id)
        self.program = None
        return recorder

    def abandoned(self, now: float) -> bool:
        """An empty room still recording, long after everyone left (the web side forgot)."""
        since = self.empty_since
        if self.recorder is None or since is None:
            return False
        return now - since > EMPTY_RECORDING_TIMEOUT_SECS

    def update_program(self, streams: Streams, dominant: str | None) -> None:
        """Pick the program among the streams that feed the recording; hand it over."""
        recorder = self.recorder
        assert recorder is not None
        by_join = sorted(streams.items(), key=lambda item: item[1][0].joined)
        cameras = [key for key, _ in by_join if key.endswith("/camera")]
        screens = sorted(
            (key for key in streams if key.endswith("/screen")),
            key=lambda key: streams[key][2].started,
        )
        key = choose_program(
            cameras=cameras,
            screens=screens,
            dominant=dominant,
            current=recorder.pending_key or recorder.video_key,
        )
        # Mix the microphones that spoke last (top-N, as the audio slots): decoding
        # all sixty sites of a briefing would cost the worker a tenth of a core.
        heard = ranking.rank_audio(c for k, (_, _, c) in streams.items() if k.endswith("/mic"))
        mics = {k: streams[k][1] for k in heard[:MAX_MIXED_MICS]}
        recorder.set_program(key, streams[key][1] if key else None, mics)
        self.program = key


def recording_event(state: str, recorder: Recorder) -> dict[str, Any]:
    """The ``media.event`` telling a member the room's recording is ``on`` or ``off``."""
    return {
        "kind": "recording",
        "state": state,
        "recording": recorder.recording_id,
        "broadcast": recorder.broadcast,
    }
