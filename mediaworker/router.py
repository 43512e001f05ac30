"""One live room on the media worker: who publishes what, and who receives it.

All of a room's state changes in one task that drains a queue of typed actions
(Galène's ``clientLoop``): the browser's messages relayed by the consumer, the
consumer's control actions, what the peer sessions report (negotiated, connection
state) and a speaker tick. No two coroutines change a room at once, and no handler
awaits aiortc: negotiation runs in each participant's ``PeerSession``.

Each subscriber's slots are refilled after every change (``_refill``): last-N camera
video, top-N audio, screen shares (mediaworker/slot_filling.py, ranked by
mediaworker/slots.py).

The router drives two parts of its own: the room's recording (``RecordingControl``,
mediaworker/recording_control.py: the ``Recorder`` and the program it shows, picked
after every change) and, while the recording is a broadcast, its public viewers
(``Viewers``, mediaworker/viewers.py), whose slots it fills with the program and the
presenters who spoke last. The dominant speaker comes from mediaworker/speakers.py.

When the room spans workers, the publishers of its other workers come through pipes
(mediaworker/pipes.py) and are slotted beside its own members (``_everyone``); what the
router does with its pipes is the ``PipedRoom`` mixin's (mediaworker/router_pipes.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mediaworker.actions import ControlIn, PipeHosts, PipeIn, RecordingIn, SignalIn, Tick
from mediaworker.adaptation import LinkTicker, pause_unused
from mediaworker.admission import Admission
from mediaworker.bandwidth import PROBE_SECS
from mediaworker.config import MediaConfig
from mediaworker.members import (
    Member,
    Send,
    Streams,
    apply_tracks,
    hold,
    to_browser,
    to_consumer,
)
from mediaworker.peer import (
    ConnectionChanged,
    ConnectionRegistry,
    Failed,
    Negotiated,
    PeerSession,
)
from mediaworker.pipes import PipeHub, RoomPipes
from mediaworker.recording.recorder import Recorder
from mediaworker.recording_control import RecordingControl, recording_event
from mediaworker.router_pipes import PipedRoom
from mediaworker.seats import ViewerSeats
from mediaworker.slot_filling import fill_slots, published_streams, slot_map
from mediaworker.speakers import SpeakerDetector
from mediaworker.viewers import Viewers
from mediaworker.wire import (
    FEEDING_ROLES,
    LOW_LAYERS,
    MAX_SUBSCRIBE_PEERS,
    ROLES,
    SOURCES,
    media_error,
)

logger = logging.getLogger(__name__)
# Connections that came up in a burst are refilled together, but never more than this
# many wait for the refill that tells them their slots.
JOINS_PER_REFILL = 32


class Router(PipedRoom):
    """The SFU of one room."""

    def __init__(
        self,
        slug: str,
        *,
        send: Send,
        config: MediaConfig,
        registry: ConnectionRegistry,
        on_closed: Callable[[Router], None],
        seats: ViewerSeats,
        admission: Admission | None = None,
        on_recording_finished: Callable[[Path], None] | None = None,
        pipes: PipeHub | None = None,
    ) -> None:
        self.slug = slug
        self.members: dict[str, Member] = {}  # the participants (panelists of a webinar)
        self.audience = Viewers(seats=seats, send=send)  # public viewers of the broadcast
        self.recording = RecordingControl(
            slug, segment_secs=config.segment_secs, on_finished=on_recording_finished
        )
        self.speakers = SpeakerDetector()
        self._send = send
        self._config = config
        self._registry = registry
        self._admission = admission or Admission(config.handshakes)
        self._on_closed = on_closed
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        # Members whose connection came up since the last refill: each is told its
        # slots at the next one (one refill for a burst of joins, not one per join).
        self._negotiated: dict[int, Member] = {}
        self._joins = itertools.count()
        self._ticker: asyncio.Task[None] | None = None
        self._speaking: frozenset[str] = frozenset()
        self._links = LinkTicker()
        self.closed = False
        # Peers a host made the presenter (media.control presenter_on/off): with the
        # hosts, they alone feed the recording, the broadcast and its viewers.
        self.presenters: set[str] = set()
        # Pipes from and to the room's other workers (mediaworker/pipes.py), when the
        # worker is placed (a standalone worker on Redis); None: the room is all here.
        self.pipes = RoomPipes(slug, pipes, refresh=self._refill) if pipes else None
        self._levels: dict[str, float] = {}  # our microphones' latest levels, for the pipes
        self._remote_broadcast = False
        self._held_viewers: list[SignalIn] = []  # offers waiting for the origin's first word
        self._born = 0.0
        self._idle_since: float | None = None

    @property
    def viewers(self) -> dict[str, Member]:
        """The public viewers of the broadcast, by peer id."""
        return self.audience.by_peer

    @property
    def recorder(self) -> Recorder | None:
        """The room's recording under way, if any."""
        return self.recording.recorder

    def post(self, action: Any) -> None:
        """Queue an action for the room's task."""
        self._queue.put_nowait(action)

    async def run(self) -> None:
        """Apply actions one at a time until the room closes."""
        self._ticker = asyncio.ensure_future(self._tick_forever())
        self._born = _now()
        discovery = asyncio.ensure_future(self._discover_forever()) if self.pipes else None
        try:
            while not self.closed:
                action = await self._queue.get()
                try:
                    self._apply(action)
                    if self._negotiated and (
                        self._queue.empty() or len(self._negotiated) >= JOINS_PER_REFILL
                    ):
                        self._refill()
                except Exception:  # one bad action must not end the room
                    logger.exception("room %s: cannot apply %s", self.slug, type(action).__name__)
                if not self._queue.empty():
                    # A burst of actions (a join storm) must not hold the loop: between
                    # them the sockets are read, so the publishers' media flows and their
                    # ICE consent checks are answered (aioice gives each 0.5 s; six missed
                    # in a row and the publisher's browser drops the connection).
                    await asyncio.sleep(0)
        finally:
            self._ticker.cancel()
            if discovery is not None:
                discovery.cancel()
            await self._shutdown()
            self._on_closed(self)

    def _apply(self, action: Any) -> None:
        if isinstance(action, SignalIn):
            self._signal(action)
        elif isinstance(action, ControlIn):
            self._control(action)
        elif isinstance(action, Negotiated):
            member = self._member_of(action.session)
            if member is not None:
                hold(member)  # new sources of a muted member stay muted
                member.sending = {}  # a new connection sends every layer: say again
                self._negotiated[id(member)] = member  # refilled once the burst is applied
        elif isinstance(action, ConnectionChanged):
            member = self._member_of(action.session)
            if member is not None and not member.viewer:
                self._event(member, {"kind": "connection", "state": action.state})
            elif member is not None and action.state in ("failed", "closed"):
                self.audience.failed(member, "")
        elif isinstance(action, Failed):
            member = self._member_of(action.session)
            if member is not None and member.viewer:
                self.audience.failed(member, action.code)
        elif isinstance(action, Tick):
            self._tick()
        elif isinstance(action, RecordingIn):
            self._recording(action)
        elif isinstance(action, PipeIn):
            self._pipe(action)
        elif isinstance(action, PipeHosts) and self.pipes is not None:
            self.pipes.discover(action.hosts, _now())

    # -- browser messages --------------------------------------------------------

    def _signal(self, action: SignalIn) -> None:
        if action.viewer:
            if self._origin_unheard(action):
                self._held_viewers.append(action)  # replayed at the origin's first word
                return
            self.audience.signal(
                action,
                broadcasting=self.broadcasting,
                participant=action.peer in self.members,
                join=lambda viewer: self._join(viewer, viewer=True),
            )
            return
        member = self.members.get(action.peer) or self._join(action)
        member.reply, member.name = action.reply, action.name
        member.role = action.role if action.role in ROLES else "guest"
        signal = action.signal
        kind = signal.get("type")
        if kind == "rtc.offer":
            apply_tracks(member, signal.get("tracks"), _now())
            member.session.post(signal)
        elif kind == "rtc.ice":
            member.session.post(signal)
        elif kind == "rtc.tracks":
            if apply_tracks(member, signal.get("tracks"), _now()):
                self._refill()
        elif kind == "rtc.subscribe":
            peers = signal.get("peers")
            if isinstance(peers, list):
                member.preferred = [p for p in peers if isinstance(p, str)][:MAX_SUBSCRIBE_PEERS]
            large = signal.get("large")
            if isinstance(large, list):
                peers_large = large[:MAX_SUBSCRIBE_PEERS]
                member.large = frozenset(p for p in peers_large if isinstance(p, str))
            video = signal.get("video")
            if isinstance(video, bool):
                member.receive_video = video
            self._refill()
        else:
            self._to_browser(member, dict(media_error("unknown_type")))

    def _join(self, action: SignalIn, *, viewer: bool = False) -> Member:
        peer = action.peer
        session = PeerSession(
            peer=peer,
            config=self._config,
            registry=self._registry,
            notify=self.post,
            reply=lambda signal: self._to_browser_peer(peer, signal),
            viewer=viewer,
            seats=self.audience.seats if viewer else None,
            admission=self._admission,
        )
        member = Member(
            peer=peer,
            reply=action.reply,
            name=action.name,
            joined=next(self._joins),
            session=session,
            task=asyncio.ensure_future(session.run()),
            viewer=viewer,
        )
        if viewer:
            return member  # kept by the audience
        self.members[peer] = member
        self.recording.empty_since = None
        if self.recorder is not None:  # a late joiner sees the indicator too
            self._event(member, recording_event("on", self.recorder))
        return member

    # -- control -----------------------------------------------------------------

    def _control(self, action: ControlIn) -> None:
        if action.action == "close_room":
            self.closed = True
        elif action.action == "leave":
            self._leave(action.peer)
        elif action.action in ("mute_audio", "stop_video"):
            target = self.members.get(action.target or action.peer)
            source = "mic" if action.action == "mute_audio" else "camera"
            if target is None:
                return
            # Enforced here, not asked of the browser: its packets are dropped until
            # the participant turns the source on again.
            target.held.add(source)
            hold(target)
            if target.active.get(source):
                target.active[source] = False
                self._to_browser(target, {"type": "rtc.muted", "source": source})
                self._refill()
        elif action.action in ("presenter_on", "presenter_off") and action.target:
            if action.action == "presenter_on":
                self.presenters.add(action.target)
            else:
                self.presenters.discard(action.target)
            self._refill()

    def _fed(self, streams: Streams) -> Streams:
        """The streams that feed the recording, its mix and the viewers' slots: those of
        hosts and of the peers a host made presenter (here or on the room's other workers)."""
        presenters = set(self.presenters)
        for state in self.pipes.remote_states() if self.pipes else ():
            presenters |= state.presenters
        return {
            key: entry
            for key, entry in streams.items()
            if entry[0].role in FEEDING_ROLES or entry[0].peer in presenters
        }

    def _leave(self, peer: str) -> None:
        if self.audience.leave(peer):
            return
        member = self.members.pop(peer, None)
        if member is None:
            return
        member.session.close()
        if self.speakers.forget(peer):
            self._broadcast_speaker()
        self._refill()
        if not self.members:
            if self.recorder is None:
                self.closed = True
            else:  # a presenter reconnecting must not end the recording
                self.recording.empty_since = asyncio.get_running_loop().time()

    # -- speakers ----------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.speaker_interval_secs)
            self.post(Tick())

    def _tick(self) -> None:
        if not self.members and self.recording.abandoned(asyncio.get_running_loop().time()):
            logger.warning("room %s: empty for too long while recording; closing", self.slug)
            self.closed = True
            return
        now = asyncio.get_running_loop().time()
        if self.pipes is not None:
            self._tick_pipes(now)
            if self.closed:
                return
        remote = self.pipes.remote_members().values() if self.pipes else ()
        if self._links.tick([*self.members.values(), *self.viewers.values(), *remote], now):
            # New budgets and bitrates: anyone's layers may change.
            everyone = self._everyone()
            streams = self._streams(everyone)
            for member in self.members.values():
                self._refill_member(member, streams, everyone, tell=False)
            if self.viewers:
                fed = self._fed(streams)
                shared: dict[str, list[str]] = {}
                for viewer in self.viewers.values():
                    self._refill_member(viewer, fed, everyone, tell=False, shared=shared)
            for member in self.members.values():
                self._report_layers(member)
                self._report_quality(member)
        levels: dict[str, float] = {}
        for member in self.members.values():
            mic = member.session.published.get("mic")
            if mic is not None and member.active.get("mic"):
                levels[member.peer] = mic.stream.take_level()
        self._levels = dict(levels)
        self._sync_pipes()  # a keep-alive for the far workers too
        for state in self.pipes.remote_states() if self.pipes else ():
            for peer, level in state.levels.items():
                levels.setdefault(peer, level)
        if not levels:
            return
        changed = self.speakers.update(levels, now)
        speaking = frozenset(p for p, level in levels.items() if level >= self.speakers.threshold)
        if changed:
            self._broadcast_speaker()
        if changed or speaking != self._speaking:
            self._speaking = speaking
            self._refill()

    def _broadcast_speaker(self) -> None:
        for member in self.members.values():
            self._to_browser(member, {"type": "rtc.speaker", "peer": self.speakers.dominant})

    # -- slots -------------------------------------------------------------------

    def _streams(self, everyone: dict[str, Member]) -> Streams:
        """Every active published stream of ``everyone`` (``_everyone``: the room's
        members here and its publishers on its other workers), by key."""
        return published_streams(everyone, self.speakers.last_active)

    def _refill(self) -> None:
        """Refill every subscriber's slots; tell those whose slots changed, and those
        whose connection came up since the last refill."""
        told, self._negotiated = self._negotiated, {}
        everyone = self._everyone()  # once: a merged dict when the room spans workers
        streams = self._streams(everyone)
        fed = self._fed(streams)
        if self.recorder is not None:
            self.recording.update_program(fed, self.speakers.dominant)  # first: viewers follow
        for member in self.members.values():
            self._refill_member(member, streams, everyone, tell=id(member) in told)
        # Viewers own no stream and prefer no one: one ranking serves them all (a
        # broadcast's hundreds of viewers are refilled at every change of speaker).
        shared: dict[str, list[str]] = {}
        for viewer in self.viewers.values():
            self._refill_member(viewer, fed, everyone, tell=id(viewer) in told, shared=shared)
        for member in self.members.values():
            self._report_published(member)
            self._report_layers(member)
        self._sync_pipes()  # a new publisher is piped at once

    def _refill_member(
        self,
        member: Member,
        streams: Streams,
        everyone: dict[str, Member],
        *,
        tell: bool,
        shared: dict[str, list[str]] | None = None,
    ) -> None:
        program = self._program()
        now = _now()
        adapt = self._config.layers  # MEET_MEDIA_LAYERS=off: the high layer, no budget
        changed = fill_slots(member, streams, program=program, shared=shared, now=now, adapt=adapt)
        if changed or tell:
            tracks = slot_map(member, everyone)
            self._to_browser(member, {"type": "rtc.tracks", "tracks": tracks})
        if member.probe_bps:
            for egress in member.session.egresses():
                egress.probe(member.probe_bps, PROBE_SECS)
            member.probe_bps = 0.0
        if member.bandwidth_state != member.told_bandwidth:
            member.told_bandwidth = member.bandwidth_state
            self._to_browser(member, {"type": "rtc.bandwidth", "state": member.bandwidth_state})

    def _report_layers(self, member: Member) -> None:
        """Pause the layers nobody receives at their publisher; resume the wanted ones."""
        if not self._config.layers:
            return  # MEET_MEDIA_LAYERS=off: every layer keeps flowing, as before issue 13
        send = pause_unused(member, _now())
        if send is not None:
            self._to_browser(member, {"type": "rtc.layers", "send": send})

    def _report_quality(self, member: Member) -> None:
        """Tell the member's consumer how its link is doing, when that changes."""
        link = member.link
        if member.session.state != "connected" or link.quality == member.told_quality:
            return
        member.told_quality = link.quality
        self._event(
            member,
            {
                "kind": "quality",
                "level": link.quality,
                "loss": round(link.loss, 3),
                "rtt_ms": None if link.rtt is None else round(link.rtt * 1000),
                "kbps": None if link.budget_bps is None else round(link.budget_bps / 1000),
            },
        )

    def _report_published(self, member: Member) -> None:
        sources = tuple(
            s
            for s in SOURCES
            if s not in LOW_LAYERS and member.active.get(s) and s in member.session.published
        )
        if sources != member.reported:
            member.reported = sources
            self._event(member, {"kind": "published", "sources": list(sources)})

    # -- recording ---------------------------------------------------------------

    def records(self, recording: str) -> bool:
        """Whether this room is making ``recording`` now."""
        current = self.recording.recorder
        return current is not None and current.recording_id == recording

    def _recording(self, action: RecordingIn) -> None:
        step = self.recording.step(action)
        if step == "start":
            self._stop_recording()  # another recording of the room ends first
            recorder = self.recording.start(action)
            if recorder is None:
                return
            streams = self._streams(self._everyone())
            self.recording.update_program(self._fed(streams), self.speakers.dominant)
            for member in self.members.values():
                self._event(member, recording_event("on", recorder))
        elif step == "stop":
            self._stop_recording()

    def _stop_recording(self) -> None:
        recorder = self.recording.stop()
        if recorder is None:
            return
        self.audience.end()
        if not self.members:
            self.closed = True  # kept open only for the recording
        for member in self.members.values():
            self._event(member, recording_event("off", recorder))

    # -- output ------------------------------------------------------------------

    def _member_of(self, session: PeerSession) -> Member | None:
        member = self.members.get(session.peer) or self.viewers.get(session.peer)
        return member if member is not None and member.session is session else None

    def _to_browser_peer(self, peer: str, signal: dict[str, Any]) -> None:
        member = self.members.get(peer) or self.viewers.get(peer)
        if member is not None:
            self._to_browser(member, signal)

    def _to_browser(self, member: Member, signal: dict[str, Any]) -> None:
        to_browser(self._send, member, signal)

    def _event(self, member: Member, event: dict[str, Any]) -> None:
        to_consumer(self._send, member, event)

    async def _shutdown(self) -> None:
        viewers = [v.task for v in self.viewers.values()]
        self._stop_recording()  # the room closed: finalise what was recorded (ends viewers)
        self.audience.end()
        members, self.members = list(self.members.values()), {}
        for member in members:
            member.session.close()
        if self.pipes is not None:
            self.pipes.close()
        await asyncio.gather(*(m.task for m in members), *viewers, return_exceptions=True)


def _now() -> float:
    return asyncio.get_running_loop().time()
