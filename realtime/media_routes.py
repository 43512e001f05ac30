"""Which media worker serves a room: the one question the web side asks (issue 14).

The embedded default (the in-memory layer) has one worker inside the web process, on the
shared channel the caller names (``mediaworker.wire.MEDIA_WORKER_CHANNEL``). On Redis,
standalone workers register in placement (placement/store.py) and each reads its own
channel. A socket that talks to the media worker books its member's load on the room's
worker the first time (``book``: the room's first member places the room on the least
loaded live worker) and gives it back when it closes (``give_back``: the room's last one
frees it), from whichever web process it landed on. Messages that are nobody's member —
a recording command, a leave sent after the socket closed — go to the room's worker
without booking (``room_channel``).

Rooms span workers (issue 14, items 3 and 4): a member goes to the least loaded of its
room's workers while that one stays under the admission headroom, else to another worker,
which also books the room's pipe units (its copy of the room's published streams, piped
from the other workers: mediaworker/pipes.py). With no worker registered at all, the
shared channel is used: a worker inside the web process on Redis
(``MEET_MEDIA_WORKER=inprocess``) reads it.

Failover (issue 14, item 5): every web process whose sockets booked a route reaps
(``reaper``, every ``REAP_SECS``): ``Placement.reap`` hands each room of a worker whose
lease ran out to exactly one of them, which announces it through every registered
``announcer`` (the live room's and the watch page's buses publish ``media.moved`` to the
room, in every process). Each socket of the room then drops its route (realtime/hub.py
``on_moved``, before its browser hears the event) and its browser offers again: the offer
books the member anew, and the room's first one places it on a live worker.

A web process that dies never gives back what its sockets booked. So each one keeps a
ledger of its bookings in placement under an id of its own (``Placement.web_note``) and
renews a lease on it every ``WEB_BEAT_SECS`` from the same task; every reaper also sweeps
(``Placement.sweep_webs``): the bookings of a process whose lease ran out go back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from placement.costs import STAGE_VIDEOS, MemberLoad, meeting_member, pipe_units, viewer_member
from placement.store import Placement, Seat
from realtime.redis import async_client, redis_address

logger = logging.getLogger(__name__)

# What placement books for a live room's member: a full stage seen and its own upload
# (placement/costs.py); a broadcast's viewer over WebRTC: the program.
MEMBER_LOAD = meeting_member(10)
VIEWER_LOAD = viewer_member()
# What a worker new to the room books once for its pipes: a full stage of cameras for a
# meeting; for a webinar's edge, the program (a webinar has a few panelists; the pipe
# carries all their streams, each once).
MEMBER_PIPE_UNITS = pipe_units(STAGE_VIDEOS)
VIEWER_PIPE_UNITS = pipe_units(1)

# A dead worker's lease ends 3 s after its last beat (placement/store.py WORKER_TTL_MS);
# a reap is one short script, so a few a second per web process cost Redis nothing.
REAP_SECS = 0.2

# The reaper renews this process's lease on its bookings, and sweeps gone processes',
# this often (their lease: placement/store.py WEB_TTL_MS, 10 s).
WEB_BEAT_SECS = 1.0

# An announcer tells a room's sockets, in every process, that ``worker`` died: (room, worker).
Announcer = Callable[[str, str], Awaitable[None]]

_placements: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Placement] = (
    weakref.WeakKeyDictionary()
)
_reapers: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, tuple[asyncio.Task[None], asyncio.Event]
] = weakref.WeakKeyDictionary()
_announcers: list[Announcer] = []
_forgetting: set[asyncio.Task[None]] = set()
# This process's id in placement, per event loop (a test's loops are "processes" too).
_process_ids: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, str] = (
    weakref.WeakKeyDictionary()
)


class NoMediaWorker(Exception):
    """Every registered media worker is full (or none serves the room)."""


@dataclass(frozen=True)
class Route:
    """The channel of the worker a socket talks to, and what it booked there."""

    channel: str
    seat: Seat | None = None  # None: the shared channel, nothing booked


def _placement() -> Placement | None:
    """This event loop's placement client, or None without Redis (the embedded default)."""
    address = redis_address()
    if not address:
        return None
    loop = asyncio.get_running_loop()
    places = _placements.get(loop)
    if places is None:
        # A client belongs to the loop that first uses it (realtime/redis.py).
        places = _placements[loop] = Placement(async_client(address))
    return places


def add_announcer(announce: Announcer) -> None:
    """Have ``announce`` called for each room of a dead worker (once per process)."""
    if announce not in _announcers:
        _announcers.append(announce)


async def book(room: str, load: MemberLoad, *, shared: str) -> Route:
    """Book a member of ``room`` on the room's worker (placing the room if it runs nowhere)."""
    places = _placement()
    if places is None:
        return Route(shared)
    _start_reaper(places)
    pipes = VIEWER_PIPE_UNITS if load == VIEWER_LOAD else MEMBER_PIPE_UNITS
    seat = await places.place(room, load, pipe_units=pipes, span=True)
    if seat is None:
        # Every worker is past its headroom: a room that runs somewhere keeps its member
        # there (on another worker it would take a pipe too); a new room waits.
        seat = await places.place(room, load, pipe_units=pipes, span=False)
    if seat is not None:
        await _note(places, room, seat, load, 1)
        return Route(seat.channel, seat)
    if not await places.workers():
        return Route(shared)
    raise NoMediaWorker(room)


async def give_back(room: str, route: Route, load: MemberLoad) -> None:
    """Return what ``book`` booked (a lost Redis is logged: the worker's lease ends it)."""
    places = _placement()
    if places is None or route.seat is None:
        return
    try:
        await places.leave(room, route.seat, load)
        await _note(places, room, route.seat, load, -1)
    except Exception as exc:
        logger.warning("media route of %s not given back: %r", room, exc)


def forget(room: str, route: Route, load: MemberLoad) -> None:
    """Drop a route to a worker that died (its bookings went with it: ``Placement.reap``);
    this process's ledger forgets it too, in the background (called from the hub)."""
    places = _placements.get(asyncio.get_running_loop())
    if places is None or route.seat is None:
        return
    task = asyncio.ensure_future(_note(places, room, route.seat, load, -1))
    _forgetting.add(task)  # the loop keeps tasks only weakly
    task.add_done_callback(_forgetting.discard)


async def room_channel(room: str, *, shared: str) -> str | None:
    """The channel of the worker serving ``room``, booking nothing; None when none does."""
    places = _placement()
    if places is None:
        return shared
    return await _hosting(places, room, shared)


async def room_channel_once(room: str, *, shared: str) -> str | None:
    """``room_channel`` from code outside the web process's loop (a service's thread):
    its own client, closed afterwards, since each ``async_to_sync`` call may be a new loop."""
    address = redis_address()
    if not address:
        return shared
    client = async_client(address)
    try:
        return await _hosting(Placement(client), room, shared)
    finally:
        await client.aclose()


async def _hosting(places: Placement, room: str, shared: str) -> str | None:
    hosts = await places.room_hosts(room)
    if hosts:
        return hosts[0].channel
    if not await places.workers():
        return shared
    return None


def process_id() -> str:
    """This web process's id in placement (its event loop's)."""
    loop = asyncio.get_running_loop()
    found = _process_ids.get(loop)
    if found is None:
        found = _process_ids[loop] = secrets.token_hex(8)
    return found


async def _note(places: Placement, room: str, seat: Seat, load: MemberLoad, n: int) -> None:
    try:
        await places.web_note(process_id(), room, seat, load, n)
    except Exception as exc:  # the booking stands; only a sweep after a crash misses it
        logger.warning("media route of %s not noted: %r", room, exc)


def _start_reaper(places: Placement) -> None:
    loop = asyncio.get_running_loop()
    running = _reapers.get(loop)
    if running is None or running[0].done():
        stop = asyncio.Event()
        _reapers[loop] = (loop.create_task(reaper(places, stop=stop)), stop)


async def reaper(
    places: Placement, *, every_secs: float = REAP_SECS, stop: asyncio.Event | None = None
) -> None:
    """Reap dead workers every ``every_secs`` and announce their rooms, and keep this
    process's lease on its bookings (sweeping gone processes'), until ``stop`` is set."""
    loop = asyncio.get_running_loop()
    stop = stop or asyncio.Event()
    beat_at = 0.0
    while not stop.is_set():
        try:
            if loop.time() >= beat_at:
                beat_at = loop.time() + WEB_BEAT_SECS
                await places.web_beat(process_id())
                returned = await places.sweep_webs()
                if returned:
                    logger.warning("media routes: %d units of gone web processes freed", returned)
            await reap_once(places)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Redis restarting: the next round reaps what is left
            if stop.is_set():
                # Stopped in the middle of a command: redis-py may answer the cancellation
                # with a ConnectionError instead, and the loop must still end.
                return
            logger.warning("media routes: reaping failed: %r", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_secs)


async def reap_once(places: Placement) -> int:
    """Forget the dead workers now; announce each room handed to this process."""
    moved = await places.reap()
    for one in moved:
        logger.warning("media worker %s is gone: room %s moves", one.worker, one.room)
        for announce in list(_announcers):
            try:
                await announce(one.room, one.worker)
            except Exception:
                logger.exception("room %s: the move off %s not announced", one.room, one.worker)
    return len(moved)


async def close() -> None:
    """Close this event loop's placement client (tests; a web process just exits)."""
    loop = asyncio.get_running_loop()
    running = _reapers.pop(loop, None)
    if running is not None:
        task, stop = running
        stop.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    places = _placements.pop(loop, None)
    if places is not None:
        await places.client.aclose()
