"""The media worker: reads its channel, runs one ``Router`` per live room.

The worker is handed its channel layer and never looks one up (that would read Django's
settings). Embedded default (no ``REDIS_URL``): meet/media_worker.py runs a
``MediaWorker`` as a task inside the daphne process, on daphne's in-memory layer (the
first connection starts it). With Redis: ``meet media`` / ``python -m mediaworker``
(mediaworker/standalone.py) runs ``run_forever`` in its own process on a Redis layer it
builds itself, reading its own channel and registered in placement
(mediaworker/registration.py); the embedded worker reads ``MEDIA_WORKER_CHANNEL``.
Either way the consumer only ever sends wire messages (mediaworker/wire/) and the worker
answers to the consumer's channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from channels.exceptions import ChannelFull

from mediaworker import dtls, ice, metrics
from mediaworker.actions import ControlIn, PipeIn, RecordingIn, SignalIn
from mediaworker.admission import Admission
from mediaworker.config import MediaConfig
from mediaworker.forwarding import native
from mediaworker.forwarding.source import slice_fanout
from mediaworker.peer import ConnectionRegistry
from mediaworker.pipe_wire import PIPE_TYPE, sender
from mediaworker.pipes import PipeHub
from mediaworker.recording_news import RecordingNews
from mediaworker.registration import Registration
from mediaworker.router import Router
from mediaworker.seats import ViewerSeats
from mediaworker.wire import MEDIA_WORKER_CHANNEL, RECORDING_ACTIONS, viewer_refused
from mediaworker.wire.layout import is_recording_id, recording_dir

logger = logging.getLogger(__name__)

RETRY_SECS = 0.5
SHUTDOWN_GRACE_SECS = 20.0  # closing rooms (5 s), connections (5 s), the outbox (2 s)
# The exit status of a stop the watchdog ended: a supervisor (systemd, Kubernetes) then
# records an abnormal stop instead of a clean one.
HUNG_EXIT_STATUS = 70
STOP_TYPE = "media.worker.stop"  # the word a stopping worker sends itself (MediaWorker.stop)
OUTBOX_RETRY_FIRST_SECS = 0.05
OUTBOX_RETRY_LAST_SECS = 1.6  # about 3 s of retries in all
# All of a consumer process's channels share one capacity in channels_redis (the
# process-wide key); 100 is too few for a process serving hundreds of participants.
MIN_CONSUMER_CAPACITY = 1000
# channels_redis blocks 5 s in BZPOPMIN; redis-py 8 gives up reading after 5 s by default.
REDIS_SOCKET_TIMEOUT_SECS = 30

_CONTROL_ACTIONS = frozenset(
    {"leave", "close_room", "mute_audio", "stop_video", "presenter_on", "presenter_off"}
)


class Outbox:
    """Sends the worker's messages to consumers in order, off the routers' tasks."""

    def __init__(self, layer: Any) -> None:
        self._layer = layer
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    def send(self, channel: str, message: dict[str, Any]) -> None:
        """Queue a message for a consumer's channel."""
        self._queue.put_nowait((channel, message))

    async def run(self) -> None:
        """Deliver queued messages until cancelled."""
        while True:
            channel, message = await self._queue.get()
            try:
                await self._deliver(channel, message)
            except Exception as exc:  # a full or gone consumer must not stop the others
                logger.warning("media worker: could not send to %s: %r", channel, exc)
            finally:
                self._queue.task_done()

    async def _deliver(self, channel: str, message: dict[str, Any]) -> None:
        # A consumer process busy with a join storm may be "full" for a moment; an
        # rtc.answer dropped there would be a failed join, so wait a little.
        delay = OUTBOX_RETRY_FIRST_SECS
        while True:
            try:
                await self._layer.send(channel, message)
                return
            except ChannelFull:
                if delay > OUTBOX_RETRY_LAST_SECS:
                    raise
                await asyncio.sleep(delay)
                delay *= 2

    async def flush(self) -> None:
        """Wait until every queued message was handed to the layer."""
        await self._queue.join()


class MediaWorker:
    """Owns the routers of the live rooms and every peer connection."""

    def __init__(
        self,
        layer: Any,
        *,
        config: MediaConfig | None = None,
        channel: str = MEDIA_WORKER_CHANNEL,
    ) -> None:
        self.layer = layer
        self.config = config or MediaConfig.from_env()
        self.channel = channel
        self.routers: dict[str, Router] = {}
        self.registry = ConnectionRegistry()
        self.seats = ViewerSeats(self.config.max_viewers)
        # New connections' handshakes take turns, whatever room they join: the loop is one.
        self.admission = Admission(self.config.handshakes)
        self.outbox = Outbox(layer)
        self.news = RecordingNews(layer)  # recording.finished, to the web side
        self._tasks: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()
        self.pulse = metrics.LoopPulse()  # event-loop lag for /metrics and /healthz
        # Pipes to the other workers of rooms that span workers (a placed worker only).
        self.pipes: PipeHub | None = None
        # Rooms an edge is looking up (a viewer's offer for a room it does not serve yet):
        # their messages wait for the answer.
        self._looking: dict[str, list[SignalIn]] = {}
        self.stopping = False
        self._running: asyncio.Task[Any] | None = None  # the task of ``run``
        self._wake: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Stop ``run``: it stops reading the channel, closes every room and connection.

        Why not only cancel ``run``: Python 3.11's ``asyncio.wait_for``, which redis-py
        wraps around each socket write, returns normally when a cancellation meets a
        write that has just finished, so channels_redis's receive swallowed it and went
        on reading (a worker stopped under traffic read on until its watchdog killed it,
        without closing its rooms). A flag and a word on our own channel end the reading
        whatever the library does with a cancellation."""
        if self.stopping:
            return
        self.stopping = True
        self._wake = asyncio.ensure_future(self._send_wake())
        if self._running is not None:
            self._running.cancel()

    async def _send_wake(self) -> None:
        with contextlib.suppress(Exception):  # a full channel wakes the reader anyway
            await self.layer.send(self.channel, {"type": STOP_TYPE})

    async def run(self) -> None:
        """Serve until stopped (``stop``) or cancelled, then close every room and connection."""
        self._running = asyncio.current_task()
        self.news.attach(asyncio.get_running_loop())
        ice.configure(self.config)
        dtls.configure()
        slice_fanout(self.config.fanout_slices)
        native.use_native(self.config.native_fanout)
        if self.pipes is not None:
            await self.pipes.start()  # after ice.configure: within MEET_MEDIA_UDP_PORTS
        quiet = logging.getLogger("aioice")  # INFO logs every candidate pair of every peer
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)
        outbox = asyncio.ensure_future(self.outbox.run())
        pulse = asyncio.ensure_future(self.pulse.run())
        metrics.observe(self)
        if self.config.recordings_root is not None:
            # Recordings a killed worker left behind become MP4s, off the loop.
            _in_thread(
                "recordings-orphans",
                _finalise_orphans,
                self.config.recordings_root,
                self.news.finished,
            )
        try:
            self.ready.set()
            while not self.stopping:
                try:
                    message = await self.layer.receive(self.channel)
                except (OSError, TimeoutError, ConnectionError) as exc:  # Redis restarted
                    logger.warning("media worker: channel layer: %r; retrying", exc)
                    await asyncio.sleep(RETRY_SECS)
                    continue
                if self.stopping:
                    break
                try:
                    self.dispatch(message)
                except Exception:
                    logger.exception("media worker: cannot handle %r", message.get("type"))
        finally:
            metrics.forget(self)
            pulse.cancel()
            await self.shutdown()
            await asyncio.wait_for(self.outbox.flush(), timeout=2)
            outbox.cancel()
            if self.pipes is not None:
                self.pipes.close()

    def dispatch(self, message: dict[str, Any]) -> None:
        """Hand one wire message to its room's router."""
        if message.get("type") == STOP_TYPE:
            return  # a predecessor's wake-up (same worker id): meant for nobody now
        if message.get("type") == "media.recording":
            self._recording(message)
            return
        if message.get("type") == PIPE_TYPE:
            self._pipe(message)
            return
        room, peer, reply = message.get("room"), message.get("peer"), message.get("reply")
        if not (isinstance(room, str) and isinstance(peer, str) and isinstance(reply, str)):
            logger.warning("media worker: message without room/peer/reply ignored")
            return
        kind = message.get("type")
        if kind == "media.signal" and isinstance(message.get("signal"), dict):
            name, role = message.get("name"), message.get("role")
            viewer = message.get("viewer") is True
            action: Any = SignalIn(
                peer,
                reply,
                name if isinstance(name, str) else "",
                message["signal"],
                viewer,
                role if isinstance(role, str) else "guest",
            )
            # A viewer never opens a room: only a broadcasting one admits viewers.
            router = self._router(room, create=not viewer)
            if router is not None:
                router.post(action)
            elif room in self._looking:
                self._looking[room].append(action)
            elif self.pipes is not None and message["signal"].get("type") == "rtc.offer":
                self._looking[room] = [action]  # an edge of a webinar, if another worker has it
                self._spawn(self._edge(room))
            elif message["signal"].get("type") == "rtc.offer":
                self.outbox.send(reply, dict(viewer_refused(peer=peer, code="not_live")))
        elif kind == "media.control" and _one_of(message.get("action"), _CONTROL_ACTIONS):
            target = message.get("target")
            action = ControlIn(
                peer, reply, message["action"], target if isinstance(target, str) else ""
            )
            router = self._router(room, create=False)
            if router is not None:
                router.post(action)
        else:
            logger.warning("media worker: unknown message %r ignored", kind)

    def _pipe(self, message: dict[str, Any]) -> None:
        """Another worker of one of our rooms about a pipe (mediaworker/pipe_wire.py)."""
        found = sender(message)
        if found is None or self.pipes is None:
            logger.warning("media worker: malformed media.pipe ignored")
            return
        action, room, worker, channel = found
        if worker == self.pipes.worker:
            return
        router = self._router(room, create=False)  # no room here: nothing to pipe
        if router is not None:
            router.post(PipeIn(action, worker, channel, message))

    async def _edge(self, room: str) -> None:
        """A viewer's offer for a room we do not serve: serve it as an edge when another
        worker has it (placement put the viewer here: issue 14, item 4), else refuse."""
        assert self.pipes is not None
        try:
            hosts = await self.pipes.hosts(room)
        except Exception as exc:
            logger.warning("media worker: cannot look up room %s: %r", room, exc)
            hosts = []
        waiting = self._looking.pop(room, [])
        if any(worker != self.pipes.worker for worker, _ in hosts):
            router = self._router(room, create=True)
            assert router is not None
            for action in waiting:
                router.post(action)
            return
        for action in waiting:
            if action.signal.get("type") == "rtc.offer":
                refused = viewer_refused(peer=action.peer, code="not_live")
                self.outbox.send(action.reply, dict(refused))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _recording(self, message: dict[str, Any]) -> None:
        """A recording command from the web side (wire.ToWorkerRecording)."""
        room, action = message.get("room"), message.get("action")
        recording = message.get("recording")
        # The live room marks a chapter at each slide change without knowing whether,
        # or what, the room is recording: an empty id means "the current recording".
        any_current = (
            action == "chapter"
            and isinstance(room, str)
            and room != ""
            and recording == message.get("directory") == ""
        )
        directory = "" if any_current else self._recording_directory(message)
        if not any_current and not (
            isinstance(room, str) and room and _one_of(action, RECORDING_ACTIONS) and directory
        ):
            logger.warning("media worker: malformed media.recording ignored")
            return
        title, text = message.get("title"), message.get("text")
        command = RecordingIn(
            action=str(action),
            recording=str(recording),
            directory=directory,
            broadcast=bool(message.get("broadcast")),
            title=title if isinstance(title, str) else "",
            text=text if isinstance(text, str) else "",
        )
        router = self._router(str(room), create=action == "start")
        if router is not None:
            router.post(command)
        if action == "stop" and (router is None or not router.records(command.recording)):
            # Not recorded here (the worker restarted, the room closed, or moved here from
            # a worker that died while recording it): finish it anyway. Its owner lock
            # keeps a recording still being written out of the finaliser's hands.
            _in_thread(
                f"finalise-{command.recording[:8]}",
                _finalise_orphans,
                Path(command.directory).parent,
                self.news.finished,
            )

    def _recording_directory(self, message: dict[str, Any]) -> str:
        """``<recordings root>/<id>`` for a valid recording id, else "" (refused).

        Never a path from the message: anyone who can write to the channel layer
        (Redis) must not choose where the worker writes. A ``directory`` in the message
        is only compared with ours; a different one is refused.
        """
        recording, given = message.get("recording"), message.get("directory")
        root = self.config.recordings_root
        if root is None or not isinstance(recording, str) or not is_recording_id(recording):
            return ""
        ours = recording_dir(root.resolve(), recording)
        if given not in (None, "") and (
            not isinstance(given, str) or Path(given).resolve() != ours
        ):
            logger.warning("media worker: recording %s for a foreign directory refused", recording)
            return ""
        return str(ours)

    def _router(self, room: str, *, create: bool) -> Router | None:
        router = self.routers.get(room)
        if router is not None and not router.closed:
            return router
        if not create:
            return None
        router = Router(
            room,
            send=self.outbox.send,
            config=self.config,
            registry=self.registry,
            on_closed=self._forget,
            seats=self.seats,
            admission=self.admission,
            on_recording_finished=self.news.finished,
            pipes=self.pipes,
        )
        self.routers[room] = router
        task = asyncio.ensure_future(router.run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return router

    def _forget(self, router: Router) -> None:
        if self.routers.get(router.slug) is router:
            del self.routers[router.slug]

    def drop_rooms(self) -> None:
        """Close every room now: this worker's lease ran out (a stall) and the web side
        moved its rooms to other workers (issue 14, item 5). A member still routed here
        offers again when its connection fails, and opens the room anew."""
        for router in list(self.routers.values()):
            router.post(ControlIn("", "", "close_room"))

    async def shutdown(self) -> None:
        """Close every room, then any connection left."""
        for router in list(self.routers.values()):
            router.post(ControlIn("", "", "close_room"))
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        await self.registry.close_all()


def _give_up_stopping(loop: asyncio.AbstractEventLoop) -> None:
    """End a shutdown that outlived its grace, saying where every thread and every task
    left on the loop was: whoever waited for the worker learns which step hung (a
    connection's close, a task deaf to cancellation, a recording's finalise), not only
    that it took long."""
    print(
        f"media worker: shutdown still running after {SHUTDOWN_GRACE_SECS:.0f} s; "
        "exiting. Where each thread was:",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(Exception):  # stderr closed: exit all the same
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        # Read from this thread while the loop may run: a task set that changes under
        # the read raises, and the stacks printed so far are what there is.
        for task in list(asyncio.all_tasks(loop)):
            print(f"task left on the loop: {task!r}, awaiting:", file=sys.stderr)
            for line in _awaiting(task):
                print(f"  {line}", file=sys.stderr)
        sys.stderr.flush()
    os._exit(HUNG_EXIT_STATUS)


def _awaiting(task: asyncio.Task[Any]) -> list[str]:
    """Where a suspended task waits, outermost first: every coroutine down its chain of
    awaits (``Task.print_stack`` shows only the outermost, not the library call that
    holds it)."""
    lines: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and len(lines) < 40:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            lines.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        following = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
        if following is None and frame is None:
            lines.append(repr(awaited))
        awaited = following
    return lines


def _one_of(value: Any, choices: frozenset[str]) -> bool:
    """``value in choices`` for a value from the wire (a list or dict is unhashable)."""
    return isinstance(value, str) and value in choices


def _in_thread(name: str, target: Any, *args: Any) -> None:
    # Not a daemon: a finalise under way keeps the process alive until it is done.
    threading.Thread(target=target, args=args, name=name).start()


def _finalise_orphans(root: Path, on_finished: Callable[[Path], None]) -> None:
    from mediaworker.recording.finalise import finalise_orphans

    try:
        for directory in finalise_orphans(root):
            on_finished(directory)
    except Exception:
        logger.exception("media worker: could not finalise recordings in %s", root)


def patient_redis(layer: Any) -> Any:
    """Fit a Redis layer to the worker (applied before its first connection).

    Let an idle BZPOPMIN (5 s) finish before redis-py's read timeout (also 5 s with
    redis-py 8, so an idle ``receive()`` raises ``TimeoutError`` now and then), and
    raise the capacity the worker enforces when sending to consumers.
    """
    hosts = getattr(layer, "hosts", None)
    if isinstance(hosts, list):
        for i, host in enumerate(hosts):
            if isinstance(host, dict) and "address" in host:
                hosts[i] = {"socket_timeout": REDIS_SOCKET_TIMEOUT_SECS, **host}
        # The sender enforces the capacity: ours must fit a busy consumer process.
        layer.capacity = max(getattr(layer, "capacity", 0), MIN_CONSUMER_CAPACITY)
    return layer


async def run_forever(
    layer: Any,
    *,
    channel: str = MEDIA_WORKER_CHANNEL,
    registration: Registration | None = None,
) -> None:
    """Run the worker as its own process on ``layer`` until SIGINT or SIGTERM.

    With a ``registration`` (placement on Redis) the worker reads its own ``channel`` and
    keeps its lease from the moment it reads it until it stops; it retires before it
    closes its rooms, so no room is placed on a worker that is going away."""
    worker = MediaWorker(layer, channel=channel)
    if registration is not None and registration.on_lost is None:
        registration.on_lost = worker.drop_rooms
    if registration is not None:
        placement = registration.placement

        async def hosts(room: str) -> list[tuple[str, str]]:
            return [(seat.worker, seat.channel) for seat in await placement.room_hosts(room)]

        worker.pipes = PipeHub(
            worker=registration.card.id,
            channel=channel,
            host=worker.config.pipe_host,
            send=worker.outbox.send,
            hosts=hosts,
        )
    task = asyncio.ensure_future(worker.run())
    loop = asyncio.get_running_loop()
    beats: asyncio.Task[None] | None = None
    retiring: list[asyncio.Task[None]] = []
    stopping: list[bool] = []

    def stop() -> None:
        if stopping:  # SIGINT from the terminal and SIGTERM from `--workers`: stop once
            return
        stopping.append(True)
        if beats is not None:
            beats.cancel()
        if registration is not None and not retiring:
            retiring.append(loop.create_task(registration.retire()))
        worker.stop()
        # A stale worker still reading the channel (and forwarding) would split the
        # rooms' messages with its successor. If the shutdown hangs — an aiortc task
        # that ignores cancellation, a stuck flush — end the process from a thread the
        # loop cannot block. Recordings lose nothing: their segments are on disk and
        # the next worker finalises them.
        watchdog = threading.Timer(SHUTDOWN_GRACE_SECS, _give_up_stopping, args=(loop,))
        watchdog.daemon = True
        watchdog.start()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    ready = asyncio.ensure_future(worker.ready.wait())
    await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if registration is not None and not task.done():
        # Registered before it says it reads: whoever waits for that line finds it placed.
        with contextlib.suppress(Exception):  # Redis down: the beats retry
            await registration.beat()
        if stopping:  # stopped during that beat, which may have come after the retire
            retiring.append(loop.create_task(registration.retire()))
        else:
            beats = asyncio.ensure_future(registration.run())
        print(
            f"meet media worker {registration.card.id} is reading channel {channel!r}", flush=True
        )
    elif not task.done():
        print(f"meet media worker is reading channel {channel!r}", flush=True)
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:  # a failed shutdown step must not keep the process alive
        logger.exception("media worker: shutdown did not finish cleanly")
    if retiring:
        await asyncio.gather(*retiring, return_exceptions=True)
    for leftover in asyncio.all_tasks() - {asyncio.current_task()}:
        leftover.cancel()
