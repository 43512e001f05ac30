"""One live room on the media worker: who publishes what, and who receives it.

All of a room's state changes in one task that drains a queue of typed actions
(Galène's ``clientLoop``): the browser's messages relayed by the consumer, the
consumer's control actions, what the peer sessions report (negotiated, connection
state) and a speaker tick. No two coroutines change a room at once, and no handler
awaits aiortc: negotiation runs in each participant's ``PeerSession``.

Each subscriber's slots are refilled after every change (``_refill``): last-N camera
video (the browser's preferred peers, then recent speakers, then join order), top-N
audio (recent speakers), screen shares (oldest first). A slot that changes source
is switched on the new source's next keyframe, which is requested at once.

While the room is recorded (``RecordingIn`` start → stop), the router also picks
the program after every change (mediaworker/recording/program.py) and hands its video
and every microphone to the room's ``Recorder``, which taps them.

While the recording is a broadcast, public viewers (``SignalIn.viewer``, from the watch
socket) may join, up to the worker's seats: receive-only members kept apart from the
participants (``viewers``), whose one video slot carries the program and whose audio
slots the presenters who spoke last. They hear no room events; when the broadcast
stops they get ``rtc.ended`` and are let go.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mediaworker import slots as ranking
from mediaworker.config import MediaConfig
from mediaworker.forwarding import Source
from mediaworker.peer import (
    ConnectionChanged,
    ConnectionRegistry,
    Failed,
    Negotiated,
    PeerSession,
)
from mediaworker.recording.program import choose_program
from mediaworker.recording.recorder import Recorder, RecordingError
from mediaworker.seats import ViewerSeats
from mediaworker.speakers import SpeakerDetector
from mediaworker.wire import (
    FEEDING_ROLES,
    MAX_SUBSCRIBE_PEERS,
    MAX_TRACKS,
    ROLES,
    SOURCES,
    media_error,
    viewer_refused,
)

logger = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], None]


@dataclass
class SignalIn:
    """A browser's ``rtc.*`` message, relayed by its consumer."""

    peer: str
    reply: str
    name: str
    signal: dict[str, Any]
    viewer: bool = False  # a public viewer of the broadcast (the watch socket)
    role: str = "guest"  # from the consumer's verified join token (wire.Role)


@dataclass
class ControlIn:
    """A consumer's control action: leave, close_room, mute_audio, stop_video."""

    peer: str
    reply: str
    action: str
    target: str = ""


@dataclass
class RecordingIn:
    """The web side's recording command: start, stop, chapter (wire.ToWorkerRecording)."""

    action: str
    recording: str
    directory: str
    broadcast: bool = False
    title: str = ""
    text: str = ""


@dataclass
class Tick:
    """Time to read the microphones' levels."""


@dataclass
class Member:
    """A participant of the room as the router sees it."""

    peer: str
    reply: str
    name: str
    joined: int
    session: PeerSession
    task: asyncio.Task[None]
    active: dict[str, bool] = field(default_factory=dict)  # source -> sending?
    started: dict[str, float] = field(default_factory=dict)  # source -> since when
    preferred: list[str] = field(default_factory=list)  # rtc.subscribe
    reported: tuple[str, ...] | None = None  # last "published" event sent
    viewer: bool = False
    role: str = "guest"
    held: set[str] = field(default_factory=set)  # sources a host muted: dropped


# A recorded room stays open while empty (a presenter reconnecting), but not forever.
EMPTY_RECORDING_TIMEOUT_SECS = 1800.0
MAX_MIXED_MICS = 6  # microphones mixed into a recording (the most recent speakers)

# Slot kind -> the published source it carries ("program": the recording's video).
# Each published stream by key: its member, its source and its ranking candidate.
Streams = dict[str, tuple[Member, Source, ranking.Candidate]]
_KIND_OF_SLOT = {"audio": "mic", "camera": "camera", "screen": "screen", "program": ""}


class Router:
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
    ) -> None:
        self.slug = slug
        self.members: dict[str, Member] = {}  # the participants (panelists of a webinar)
        self.viewers: dict[str, Member] = {}  # public viewers of the broadcast
        self.program: str | None = None  # the recording's video, "<peer>/<source>"
        self._seats = seats  # the worker's, shared by its rooms
        self.speakers = SpeakerDetector()
        self._send = send
        self._config = config
        self._registry = registry
        self._on_closed = on_closed
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._joins = itertools.count()
        self._ticker: asyncio.Task[None] | None = None
        self._speaking: frozenset[str] = frozenset()
        self.closed = False
        # Peers a host made the presenter (media.control presenter_on/off): with the
        # hosts, they alone feed the recording, the broadcast and its viewers.
        self.presenters: set[str] = set()
        self.recorder: Recorder | None = None
        self._empty_since: float | None = None

    def post(self, action: Any) -> None:
        """Queue an action for the room's task."""
        self._queue.put_nowait(action)

    async def run(self) -> None:
        """Apply actions one at a time until the room closes."""
        self._ticker = asyncio.ensure_future(self._tick_forever())
        try:
            while not self.closed:
                action = await self._queue.get()
                try:
                    self._apply(action)
                except Exception:  # one bad action must not end the room
                    logger.exception("room %s: cannot apply %s", self.slug, type(action).__name__)
        finally:
            self._ticker.cancel()
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
                self._hold(member)  # new sources of a muted member stay muted
                self._refill(always_tell=member)
        elif isinstance(action, ConnectionChanged):
            member = self._member_of(action.session)
            if member is not None and not member.viewer:
                self._event(member, {"kind": "connection", "state": action.state})
            elif member is not None and action.state in ("failed", "closed"):
                self._viewer_failed(member, "")
        elif isinstance(action, Failed):
            member = self._member_of(action.session)
            if member is not None and member.viewer:
                self._viewer_failed(member, action.code)
        elif isinstance(action, Tick):
            self._tick()
        elif isinstance(action, RecordingIn):
            self._recording(action)

    # -- browser messages --------------------------------------------------------

    def _signal(self, action: SignalIn) -> None:
        if action.viewer:
            self._viewer_signal(action)
            return
        member = self.members.get(action.peer) or self._join(action)
        member.reply, member.name = action.reply, action.name
        member.role = action.role if action.role in ROLES else "guest"
        signal = action.signal
        kind = signal.get("type")
        if kind == "rtc.offer":
            self._publish_state(member, signal.get("tracks"))
            member.session.post(signal)
        elif kind == "rtc.ice":
            member.session.post(signal)
        elif kind == "rtc.tracks":
            if self._publish_state(member, signal.get("tracks")):
                self._refill()
        elif kind == "rtc.subscribe":
            peers = signal.get("peers")
            if isinstance(peers, list):
                member.preferred = [p for p in peers if isinstance(p, str)][:MAX_SUBSCRIBE_PEERS]
                self._refill()
        else:
            self._to_browser(member, dict(media_error("unknown_type")))

    def _viewer_signal(self, action: SignalIn) -> None:
        kind = action.signal.get("type")
        viewer = self.viewers.get(action.peer)
        if viewer is None:
            if kind != "rtc.offer" or action.peer in self.members:
                return  # a late candidate of a viewer let go; never a participant's id
            refusal = self._viewer_refusal()
            if refusal is not None:
                self._send(action.reply, dict(viewer_refused(peer=action.peer, code=refusal)))
                return
            viewer = self._join(action, viewer=True)
        viewer.reply = action.reply
        if kind in ("rtc.offer", "rtc.ice"):
            viewer.session.post(action.signal)
        else:
            self._to_browser(viewer, dict(media_error("unknown_type")))

    def _viewer_refusal(self) -> str | None:
        """Why a new viewer cannot watch over WebRTC now (it then plays HLS), or None.

        The seat itself is taken by the viewer's session once its offer is parsed and
        accepted: garbage never holds one.
        """
        if self.recorder is None or not self.recorder.broadcast:
            return "not_live"
        if self._seats.full:
            return "full"
        return None

    def _viewer_failed(self, viewer: Member, code: str) -> None:
        """A viewer's offer failed or its connection did not come up: let it go."""
        if self.viewers.get(viewer.peer) is not viewer:
            return
        del self.viewers[viewer.peer]
        if code == "not_connected":  # the session said nothing yet: the page plays HLS
            self._to_browser(viewer, dict(media_error(code)))
        self._let_viewer_go(viewer)

    def _join(self, action: SignalIn, *, viewer: bool = False) -> Member:
        peer = action.peer
        session = PeerSession(
            peer=peer,
            config=self._config,
            registry=self._registry,
            notify=self.post,
            reply=lambda signal: self._to_browser_peer(peer, signal),
            viewer=viewer,
            seats=self._seats if viewer else None,
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
            self.viewers[peer] = member
            return member
        self.members[peer] = member
        self._empty_since = None
        if self.recorder is not None:  # a late joiner sees the indicator too
            self._event(member, self._recording_event("on", self.recorder))
        return member

    def _publish_state(self, member: Member, tracks: Any) -> bool:
        """Apply a browser's ``tracks`` list (source + active); return whether it changed."""
        if not isinstance(tracks, list):
            return False
        changed = False
        now = asyncio.get_running_loop().time()
        for track in tracks[:MAX_TRACKS]:
            if not isinstance(track, dict) or track.get("source") not in SOURCES:
                continue
            source, active = track["source"], bool(track.get("active", True))
            if active and source in member.held:
                # The participant turned it on again after a host's mute (the room's
                # own unmute button): from now on its packets flow again.
                member.held.discard(source)
                self._hold(member)
            if member.active.get(source, False) != active:
                changed = True
                member.active[source] = active
                if active:
                    member.started[source] = now
        return changed

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
            self._hold(target)
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

    def _hold(self, member: Member) -> None:
        """Drop the packets of the sources a host muted (at the source: nothing sees them)."""
        for source, published in member.session.published.items():
            published.stream.held = source in member.held

    def _fed(self, streams: Streams) -> Streams:
        """The streams that feed the recording, its mix and the viewers' slots: those of
        hosts and of the peers a host made presenter."""
        return {
            key: entry
            for key, entry in streams.items()
            if entry[0].role in FEEDING_ROLES or entry[0].peer in self.presenters
        }

    def _leave(self, peer: str) -> None:
        if peer in self.viewers:
            self._let_viewer_go(self.viewers.pop(peer))
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
                self._empty_since = asyncio.get_running_loop().time()

    # -- speakers ----------------------------------------------------------------

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.speaker_interval_secs)
            self.post(Tick())

    def _tick(self) -> None:
        if not self.members and self._recording_abandoned():
            logger.warning("room %s: empty for too long while recording; closing", self.slug)
            self.closed = True
            return
        levels: dict[str, float] = {}
        for member in self.members.values():
            mic = member.session.published.get("mic")
            if mic is not None and member.active.get("mic"):
                levels[member.peer] = mic.stream.take_level()
        if not levels:
            return
        changed = self.speakers.update(levels, asyncio.get_running_loop().time())
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

    def _streams(self) -> Streams:
        """Every active published stream of the room, by key."""
        streams = {}
        for member in self.members.values():
            for source, published in member.session.published.items():
                if not member.active.get(source):
                    continue
                key = f"{member.peer}/{source}"
                candidate = ranking.Candidate(
                    key=key,
                    peer=member.peer,
                    joined=member.joined,
                    last_active=self.speakers.last_active.get(member.peer, ranking.NEVER),
                    started=member.started.get(source, 0.0),
                )
                streams[key] = (member, published.stream, candidate)
        return streams

    def _refill(self, always_tell: Member | None = None) -> None:
        """Refill every subscriber's slots; tell those whose slots changed."""
        streams = self._streams()
        fed = self._fed(streams)
        if self.recorder is not None:
            self._update_program(fed)  # first: the viewers' slots follow it
        for member in self.members.values():
            self._refill_member(member, streams, tell=member is always_tell)
        # Viewers own no stream and prefer no one: one ranking serves them all (a
        # broadcast's hundreds of viewers are refilled at every change of speaker).
        shared: dict[str, list[str]] = {}
        for viewer in self.viewers.values():
            self._refill_member(viewer, fed, tell=viewer is always_tell, shared=shared)
        for member in self.members.values():
            self._report_published(member)

    def _refill_member(
        self,
        member: Member,
        streams: dict[str, Any],
        *,
        tell: bool,
        shared: dict[str, list[str]] | None = None,
    ) -> None:
        changed = tell
        for slot_kind in _KIND_OF_SLOT:
            slots = [s for s in member.session.slots if s.slot == slot_kind]
            if not slots:
                continue
            ranked = shared.get(slot_kind) if shared is not None else None
            if ranked is None:
                ranked = self._ranked(slot_kind, member, streams)
                if shared is not None:
                    shared[slot_kind] = ranked
            placed = ranking.assign([s.key for s in slots], ranked)
            for slot, key in zip(slots, placed, strict=True):
                stream = streams[key][1] if key is not None else None
                if slot.out.source is not stream:
                    if stream is None:
                        slot.out.source.detach(slot.out)  # type: ignore[union-attr]
                    else:
                        stream.attach(slot.out)
                if slot.key != key:
                    slot.key, changed = key, True
        if changed:
            self._to_browser(member, {"type": "rtc.tracks", "tracks": self._slot_map(member)})

    def _ranked(self, slot_kind: str, member: Member, streams: dict[str, Any]) -> list[str]:
        """The streams ``member``'s slots of ``slot_kind`` should carry, best first."""
        if slot_kind == "program":
            return [self.program] if self.program in streams else []
        source = _KIND_OF_SLOT[slot_kind]
        candidates = [
            c
            for key, (owner, _, c) in streams.items()
            if owner is not member and key.endswith("/" + source)
        ]
        if slot_kind == "camera":
            return ranking.rank_cameras(candidates, member.preferred)
        if slot_kind == "audio":
            return ranking.rank_audio(candidates)
        return ranking.rank_screens(candidates)

    def _slot_map(self, member: Member) -> list[dict[str, Any]]:
        tracks = []
        for slot in member.session.slots:
            owner = self.members.get(slot.key.split("/")[0]) if slot.key else None
            tracks.append(
                {
                    "mid": slot.mid,
                    "kind": slot.kind,
                    "slot": slot.slot,
                    "peer": owner.peer if owner else None,
                    "name": owner.name if owner else None,
                    "source": slot.key.split("/")[1] if slot.key and owner else None,
                }
            )
        return tracks

    def _report_published(self, member: Member) -> None:
        sources = tuple(
            s for s in SOURCES if member.active.get(s) and s in member.session.published
        )
        if sources != member.reported:
            member.reported = sources
            self._event(member, {"kind": "published", "sources": list(sources)})

    # -- recording ---------------------------------------------------------------

    def _recording(self, action: RecordingIn) -> None:
        current = self.recorder
        if action.action == "start":
            if current is not None and current.recording_id == action.recording:
                return
            if current is not None:
                self._stop_recording()
            recorder = Recorder(
                recording_id=action.recording,
                directory=Path(action.directory),
                broadcast=action.broadcast,
                segment_secs=self._config.segment_secs,
                room=self.slug,
            )
            try:
                recorder.start()
            except (RecordingError, OSError) as exc:
                logger.warning("room %s: cannot record %s: %s", self.slug, action.recording, exc)
                return
            self.recorder = recorder
            logger.info("room %s: recording %s started", self.slug, action.recording)
            self._update_program(self._fed(self._streams()))
            for member in self.members.values():
                self._event(member, self._recording_event("on", recorder))
        elif action.action == "chapter" and current is not None and not action.recording:
            current.chapter(action.title, action.text)  # a slide change: the current one
        elif current is None or current.recording_id != action.recording:
            if not action.recording:  # a slide change while nothing is recorded
                return
            logger.info(
                "room %s: %s for recording %s ignored: not recording it",
                self.slug,
                action.action,
                action.recording,
            )
        elif action.action == "stop":
            self._stop_recording()
        elif action.action == "chapter":
            current.chapter(action.title, action.text)

    def _recording_abandoned(self) -> bool:
        """An empty room still recording, long after everyone left (the web side forgot)."""
        since = self._empty_since
        if self.recorder is None or since is None:
            return False
        return asyncio.get_running_loop().time() - since > EMPTY_RECORDING_TIMEOUT_SECS

    def _stop_recording(self) -> None:
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        recorder.stop()  # the recorder's thread finalises in the background
        logger.info("room %s: recording %s stopped", self.slug, recorder.recording_id)
        self.program = None
        self._end_viewers()
        if not self.members:
            self.closed = True  # kept open only for the recording
        for member in self.members.values():
            self._event(member, self._recording_event("off", recorder))

    def _recording_event(self, state: str, recorder: Recorder) -> dict[str, Any]:
        return {
            "kind": "recording",
            "state": state,
            "recording": recorder.recording_id,
            "broadcast": recorder.broadcast,
        }

    def _update_program(self, streams: dict[str, tuple[Member, Source, Any]]) -> None:
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
            dominant=self.speakers.dominant,
            current=recorder.pending_key or recorder.video_key,
        )
        # Mix the microphones that spoke last (top-N, as the audio slots): decoding
        # all sixty sites of a briefing would cost the worker a tenth of a core.
        heard = ranking.rank_audio(c for k, (_, _, c) in streams.items() if k.endswith("/mic"))
        mics = {k: streams[k][1] for k in heard[:MAX_MIXED_MICS]}
        recorder.set_program(key, streams[key][1] if key else None, mics)
        self.program = key

    # -- output ------------------------------------------------------------------

    def _member_of(self, session: PeerSession) -> Member | None:
        member = self.members.get(session.peer) or self.viewers.get(session.peer)
        return member if member is not None and member.session is session else None

    def _to_browser_peer(self, peer: str, signal: dict[str, Any]) -> None:
        member = self.members.get(peer) or self.viewers.get(peer)
        if member is not None:
            self._to_browser(member, signal)

    def _to_browser(self, member: Member, signal: dict[str, Any]) -> None:
        self._send(member.reply, {"type": "media.signal", "peer": member.peer, "signal": signal})

    def _event(self, member: Member, event: dict[str, Any]) -> None:
        self._send(member.reply, {"type": "media.event", "peer": member.peer, "event": event})

    # -- viewers -----------------------------------------------------------------

    def _let_viewer_go(self, viewer: Member) -> None:
        viewer.session.close()  # gives its seat back, if it holds one

    def _end_viewers(self) -> None:
        """The broadcast stopped: tell every viewer and let them go."""
        viewers, self.viewers = list(self.viewers.values()), {}
        for viewer in viewers:
            self._to_browser(viewer, {"type": "rtc.ended"})
            self._let_viewer_go(viewer)

    async def _shutdown(self) -> None:
        viewers = [v.task for v in self.viewers.values()]
        self._stop_recording()  # the room closed: finalise what was recorded (ends viewers)
        self._end_viewers()
        members, self.members = list(self.members.values()), {}
        for member in members:
            member.session.close()
        await asyncio.gather(*(m.task for m in members), *viewers, return_exceptions=True)
