"""The router's side of a room that spans workers (issue 14, items 3 and 4).

A mixin of ``Router`` (mediaworker/router.py), kept apart so the router stays readable:
the room's pipes (mediaworker/pipes.py) are opened from placement's list of the room's
workers, their messages applied in the room's task like any action, our publishers
piped out after every refill and tick (the ``state`` is the far workers' keep-alive),
and a far worker's broadcast followed by the viewers of an edge.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from mediaworker.actions import PipeHosts, PipeIn, SignalIn
from mediaworker.members import Member
from mediaworker.pipe_wire import FIRST_WORD_SECS, OPEN_EVERY_SECS, PipeState
from mediaworker.pipes import RoomPipes
from mediaworker.recording_control import RecordingControl
from mediaworker.viewers import Viewers

if TYPE_CHECKING:
    from mediaworker.recording.recorder import Recorder

logger = logging.getLogger(__name__)

# A room of viewers only (an edge of a webinar) closes after being empty this long.
EDGE_IDLE_SECS = 5.0


class PipedRoom:
    """What a ``Router`` does with its pipes; the attributes are the router's."""

    slug: str
    members: dict[str, Member]
    presenters: set[str]
    recording: RecordingControl
    audience: Viewers
    closed: bool
    pipes: RoomPipes | None
    _levels: dict[str, float]
    _remote_broadcast: bool
    _held_viewers: list[SignalIn]
    _born: float
    _idle_since: float | None

    if TYPE_CHECKING:

        @property
        def viewers(self) -> dict[str, Member]: ...

        @property
        def recorder(self) -> Recorder | None: ...

        def post(self, action: Any) -> None: ...

        def _refill(self) -> None: ...

        def _signal(self, action: SignalIn) -> None: ...

        def _report_layers(self, member: Member) -> None: ...

    @property
    def broadcasting(self) -> bool:
        """Whether the room broadcasts: recorded here as a broadcast, or on the worker
        that records it (an edge's viewers watch that worker's program)."""
        return self.recording.broadcasting or self._remote_broadcast

    def _program(self) -> str | None:
        """The recording's video: ours, or the recording worker's."""
        if self.recorder is not None or self.pipes is None:
            return self.recording.program
        for state in self.pipes.remote_states():
            if state.broadcasting:
                return state.program
        return None

    async def _discover_forever(self) -> None:
        assert self.pipes is not None
        hub = self.pipes.hub
        while True:
            try:
                self.post(PipeHosts(await hub.hosts(self.slug)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarting: the pipes stay as they are
                logger.warning("room %s: cannot list its workers: %r", self.slug, exc)
            await asyncio.sleep(OPEN_EVERY_SECS)

    def _pipe(self, action: PipeIn) -> None:
        pipes = self.pipes
        if pipes is None:
            return
        now = _now()
        if action.action == "open":
            if pipes.on_open(action.worker, action.channel, action.message, now):
                self._sync_pipes()
                for member in self.members.values():  # a layer paused here may be wanted there
                    self._report_layers(member)
        elif action.action == "state":
            if pipes.on_state(action.worker, action.message, now):
                self._follow_remote_broadcast()
                self._refill()
            held, self._held_viewers = self._held_viewers, []
            for viewer in held:
                self._signal(viewer)
        elif action.action == "keyframe":
            pipes.on_keyframe(action.worker, action.message)
        elif action.action == "resend":
            pipes.on_resend(action.worker, action.message)
        elif action.action == "closed":
            pipes.on_closed(action.worker)
            self._follow_remote_broadcast()

    def _origin_unheard(self, action: SignalIn) -> bool:
        """A new viewer's offer on an edge that has not heard the origin yet waits."""
        return (
            self.pipes is not None
            and action.signal.get("type") == "rtc.offer"
            and action.peer not in self.viewers
            and not self.recording.broadcasting
            and not self.pipes.heard_any()
            and _now() - self._born < FIRST_WORD_SECS
        )

    def _follow_remote_broadcast(self) -> None:
        was = self._remote_broadcast
        states = self.pipes.remote_states() if self.pipes else []
        self._remote_broadcast = any(state.broadcasting for state in states)
        if was and not self.broadcasting:
            self.audience.end()  # the origin's broadcast stopped (or its worker is gone)

    def _sync_pipes(self) -> None:
        """Ask the far workers for the videos we take now; forward our publishers into
        each pipe out, and tell the far workers."""
        if self.pipes is None:
            return
        self.pipes.sync_in()
        if not self.pipes.outs:
            return
        state = PipeState(
            address=("127.0.0.1", 0),  # filled by the pipes
            members=(),
            levels=self._levels,
            broadcasting=self.recording.broadcasting,
            program=self.recording.program if self.recorder is not None else None,
            presenters=frozenset(self.presenters),
        )
        self.pipes.sync_out(self.members, state, _now())

    def _everyone(self) -> dict[str, Member]:
        """Our members and the room's publishers on its other workers."""
        if self.pipes is None:
            return self.members
        return {**self.pipes.remote_members(), **self.members}

    def _tick_pipes(self, now: float) -> None:
        assert self.pipes is not None
        self.pipes.expire(now)
        self._follow_remote_broadcast()
        if self._held_viewers and now - self._born >= FIRST_WORD_SECS:
            held, self._held_viewers = self._held_viewers, []
            for viewer in held:  # no origin spoke: refused as "not_live"
                self._signal(viewer)
        if self.members or self.viewers or self.recorder is not None or self._held_viewers:
            self._idle_since = None
        elif self._idle_since is None:
            self._idle_since = now
        elif now - self._idle_since >= EDGE_IDLE_SECS:
            self.closed = True  # an edge whose viewers all left


def _now() -> float:
    return asyncio.get_running_loop().time()
