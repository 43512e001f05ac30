"""A nationwide Monday morning, simulated: placement of every join over N media workers.

    .venv/bin/python -m bench.nationwide [--redis URL] [--capacity 1200] [--callers 16]
                                         [--scale 1.0] [--seed 8]

No media: the real placement code (``placement.store``, its Lua in a real Redis) with
stand-in workers that only renew their registration every second. At 08:00, 34
provincial briefings of 30-120 sites, ~700 district briefings of 20-60 sites and one
national webinar (50,000 viewers, 5,000 of them over WebRTC, the rest on HLS, which needs
no worker). Every site sees a full stage (``placement.costs``); ``--callers`` concurrent
clients stand for the web processes placing joins.

Steps: (1) the fewest workers that admit every join (none past the admission ratio);
(2) the run itself on workers enough for a cluster near 70 %: joins placed per second,
the most loaded worker's share against the cluster's; (3) at 08:05 one worker in ten
stops renewing: the time from each lease's expiry until its rooms' members are placed
again (reapers in every caller, every 0.2 s). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import os
import platform
import random
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio

from placement.costs import COMPILED_CAPACITY_UNITS, MemberLoad, meeting_member, viewer_member
from placement.store import (
    HEARTBEAT_SECS,
    WORKER_TTL_MS,
    Placement,
    Seat,
    WorkerCard,
)

PROVINCES = 34
DISTRICTS = 700
WEBRTC_VIEWERS = 5_000
HLS_VIEWERS = 45_000
CLUSTER_TARGET = 0.7
DEAD_SHARE = 0.1
REAP_EVERY_SECS = 0.2
# The web processes a room's sockets are spread over (each moves its own members).
WEB_PROCESSES = 4


@dataclass(frozen=True)
class Join:
    room: str
    load: MemberLoad
    pipe_units: int


@dataclass
class Run:
    """What one placement run booked, and where."""

    seats: dict[str, list[tuple[str, Seat, MemberLoad, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # worker -> (room, seat, load, pipe units)
    refused: int = 0
    secs: float = 0.0


def monday(rng: random.Random, scale: float) -> list[Join]:
    """Every join of 08:00, in a plausible arrival order (most sites a few minutes early)."""
    arrivals: list[tuple[float, Join]] = []

    def briefing(name: str, sites: int) -> None:
        for _ in range(sites):
            join = Join(name, meeting_member(sites), pipe_units=min(sites, 9))
            arrivals.append((rng.gauss(-2.0, 2.0), join))

    for n in range(max(1, round(PROVINCES * scale))):
        briefing(f"province-{n}", rng.randint(30, 120))
    for n in range(max(1, round(DISTRICTS * scale))):
        briefing(f"district-{n}", rng.randint(20, 60))
    arrivals.append((-10.0, Join("webinar", MemberLoad(videos_seen=1, publishes=True), 1)))
    for _ in range(max(1, round(WEBRTC_VIEWERS * scale))):
        arrivals.append((rng.uniform(-5.0, 10.0), Join("webinar", viewer_member(), 1)))
    arrivals.sort(key=lambda pair: pair[0])
    return [join for _, join in arrivals]


class Workers:
    """Stand-in media workers: registration renewed every second until stopped."""

    def __init__(self, places: Placement, count: int, capacity: int) -> None:
        self.places = places
        self.cards = [
            WorkerCard(f"w{n:04d}", capacity, f"media-worker.w{n:04d}") for n in range(count)
        ]
        self.alive = {card.id for card in self.cards}
        self.last_beat: dict[str, float] = {}
        self.lapses = 0
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.beat()
        self._task = asyncio.create_task(self._loop())

    async def beat(self) -> None:
        """Renew every live stand-in in one pipeline (real workers beat side by side)."""
        cards = [card for card in self.cards if card.id in self.alive]
        registered = await self.places.heartbeat_many(cards)
        now = time.monotonic()
        if self.last_beat:  # a stand-in registered anew had lapsed: the run is not valid
            self.lapses += sum(registered)
        self.last_beat.update((card.id, now) for card in cards)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.wait_for(self._stopping.wait(), HEARTBEAT_SECS)
            except TimeoutError:
                await self.beat()

    async def stop(self) -> None:
        """Stop beating (between beats: a command cut in half would spoil its connection)."""
        self._stopping.set()
        if self._task is not None:
            await self._task


async def place_all(places: list[Placement], joins: list[Join]) -> Run:
    """Place every join through ``len(places)`` concurrent callers, in arrival order."""
    run = Run()
    queue: asyncio.Queue[Join] = asyncio.Queue()
    for join in joins:
        queue.put_nowait(join)

    async def caller(place: Placement) -> None:
        while not queue.empty():
            join = queue.get_nowait()
            seat = await place.place(join.room, join.load, pipe_units=join.pipe_units)
            if seat is None:
                run.refused += 1
            else:
                run.seats[seat.worker].append((join.room, seat, join.load, join.pipe_units))

    started = time.perf_counter()
    await asyncio.gather(*(caller(place) for place in places))
    run.secs = time.perf_counter() - started
    return run


async def fresh(client: Any, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    for start in range(0, len(keys), 1000):
        await client.delete(*keys[start : start + 1000])


async def trial(
    url: str, joins: list[Join], workers: int, capacity: int, callers: int
) -> tuple[Run, list[Placement], Workers, str]:
    """Place ``joins`` on ``workers`` fresh stand-ins; returns what it needs to go on."""
    prefix = f"bench:nationwide:{uuid.uuid4().hex[:8]}"
    clients = [redis.asyncio.Redis.from_url(url) for _ in range(callers)]
    places = [Placement(client, prefix=prefix) for client in clients]
    fleet = Workers(Placement(redis.asyncio.Redis.from_url(url), prefix=prefix), workers, capacity)
    await fleet.start()
    run = await place_all(places, joins)
    return run, places, fleet, prefix


async def close(places: list[Placement], fleet: Workers, prefix: str) -> None:
    await fleet.stop()
    await fresh(places[0].client, prefix)
    for place in [*places, fleet.places]:
        await place.client.aclose()


async def fewest_workers(
    url: str, joins: list[Join], capacity: int, callers: int
) -> tuple[int, list[tuple[int, int]]]:
    """The fewest workers that admit every join: up from the bound in growing steps, then
    bisection (each try is a whole placement run)."""
    total = sum(join.load.units for join in joins)
    low = math.ceil(total / (capacity * 0.8))  # not one fewer: the ratio is a hard cap
    tried: list[tuple[int, int]] = []

    async def refused(workers: int) -> int:
        run, places, fleet, prefix = await trial(url, joins, workers, capacity, callers)
        await close(places, fleet, prefix)
        if fleet.lapses:
            raise RuntimeError(f"{fleet.lapses} stand-in workers lapsed: the machine is too busy")
        tried.append((workers, run.refused))
        return run.refused

    step = max(1, low // 100)
    high = low
    while await refused(high):
        low, high, step = high + 1, high + step, step * 2
    while low < high:
        middle = (low + high) // 2
        if await refused(middle):
            low = middle + 1
        else:
            high = middle
    return low, tried


async def failover(
    run: Run, places: list[Placement], fleet: Workers, rng: random.Random
) -> dict[str, Any]:
    """Stop one worker in ten; time each moved room from its lease's expiry until the
    reaper handed it out and until all its members sat on live workers again. Members
    join again side by side (each socket's own process places it), here through every
    caller's connection, each web process's members of a room in one round trip."""
    dead = set(rng.sample(sorted(fleet.alive), max(1, round(len(fleet.alive) * DEAD_SHARE))))
    fleet.alive -= dead
    expiry = {w: fleet.last_beat[w] + WORKER_TTL_MS / 1000 for w in dead}
    to_move = {w: run.seats.pop(w, []) for w in dead}
    expected = sum(len({s[0] for s in seated}) for seated in to_move.values())
    members = sum(len(seated) for seated in to_move.values())
    told_after: list[float] = []
    placed_after: list[float] = []
    left: dict[tuple[str, str], int] = {}
    jobs: asyncio.Queue[tuple[str, str, list[MemberLoad], int]] = asyncio.Queue()
    refused = 0
    done = asyncio.Event()

    async def reaper(place: Placement) -> None:
        while not done.is_set():
            for moved in await place.reap():
                told_after.append(time.monotonic() - expiry[moved.worker])
                seated = [s for s in to_move.get(moved.worker, []) if s[0] == moved.room]
                left[(moved.worker, moved.room)] = len(seated)
                # Its members' sockets sit on several web processes: each moves its own.
                for part in range(WEB_PROCESSES):
                    loads = [load for _, _, load, _ in seated[part::WEB_PROCESSES]]
                    if loads:
                        jobs.put_nowait((moved.worker, moved.room, loads, seated[0][3]))
            await asyncio.sleep(REAP_EVERY_SECS)

    async def placer(place: Placement) -> None:
        nonlocal refused
        while True:
            worker, room, loads, pipe = await jobs.get()
            seats = await place.place_many(room, loads, pipe_units=pipe)
            for seat, load in zip(seats, loads, strict=True):
                if seat is None:
                    refused += 1
                else:
                    run.seats[seat.worker].append((room, seat, load, pipe))
            left[(worker, room)] -= len(loads)
            if not left[(worker, room)]:
                placed_after.append(time.monotonic() - expiry[worker])

    tasks = [asyncio.create_task(reaper(place)) for place in places]
    tasks += [asyncio.create_task(placer(place)) for place in places]
    deadline = time.monotonic() + 30
    while len(placed_after) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    done.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    loads = await places[0].workers()
    return {
        "dead_workers": len(dead),
        "rooms_moved": len(told_after),
        "rooms_expected": expected,
        "members_moved": members,
        "refused_after": refused,
        "told_after_expiry_max_s": _round(max(told_after, default=None)),
        "placed_after_expiry_p50_s": _round(
            statistics.median(placed_after) if placed_after else None
        ),
        "placed_after_expiry_max_s": _round(max(placed_after, default=None)),
        "max_share_after": round(max(w.share for w in loads), 3),
        "cluster_share_after": round(
            sum(w.booked_units for w in loads) / sum(w.capacity_units for w in loads), 3
        ),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    joins = monday(rng, args.scale)
    total = sum(join.load.units for join in joins)
    print(
        f"joins {len(joins)} ({sum(1 for j in joins if j.room == 'webinar')} webinar viewers "
        f"over WebRTC, {round(HLS_VIEWERS * args.scale)} more on HLS), {total} units "
        f"at {args.capacity} per worker"
    )
    needed, tried = await fewest_workers(args.redis, joins, args.capacity, args.callers)
    print(f"fewest workers that admit every join: {needed}  (tried {tried})")
    workers = math.ceil(total / (args.capacity * CLUSTER_TARGET))
    run, places, fleet, prefix = await trial(
        args.redis, joins, workers, args.capacity, args.callers
    )
    loads = await places[0].workers()
    shares = sorted(w.share for w in loads)
    cluster = sum(w.booked_units for w in loads) / sum(w.capacity_units for w in loads)
    spanned = 0
    for room in {join.room for join in joins}:
        spanned += len(await places[0].room_units(room)) > 1
    result: dict[str, Any] = {
        "joins": len(joins),
        "units": total,
        "capacity_units": args.capacity,
        "workers_needed": needed,
        "workers": workers,
        "refused": run.refused,
        "joins_per_s": round(len(joins) / run.secs),
        "cluster_share": round(cluster, 3),
        "max_share": round(shares[-1], 3),
        "p50_share": round(shares[len(shares) // 2], 3),
        "rooms_spanning": spanned,
        "stand_in_lapses": fleet.lapses,
    }
    result.update(await failover(run, places, fleet, rng))
    await close(places, fleet, prefix)
    return result


def print_table(result: dict[str, Any]) -> None:
    rows = [
        ("workers needed (none past 80 %)", result["workers_needed"]),
        ("workers in the run (cluster ~70 %)", result["workers"]),
        ("joins placed per second", result["joins_per_s"]),
        ("joins refused", result["refused"]),
        ("cluster share", result["cluster_share"]),
        ("most loaded worker's share", result["max_share"]),
        ("median worker's share", result["p50_share"]),
        ("rooms spanning workers", result["rooms_spanning"]),
        ("stand-in workers that lapsed (must be 0)", result["stand_in_lapses"]),
        ("workers stopped at 08:05", result["dead_workers"]),
        ("rooms moved / expected", f"{result['rooms_moved']} / {result['rooms_expected']}"),
        ("members placed again", result["members_moved"] - result["refused_after"]),
        ("refused after the failure", result["refused_after"]),
        ("rooms handed out after lease expiry max s", result["told_after_expiry_max_s"]),
        ("placed again after lease expiry p50 s", result["placed_after_expiry_p50_s"]),
        ("placed again after lease expiry max s", result["placed_after_expiry_max_s"]),
        ("most loaded worker after", result["max_share_after"]),
        ("cluster share after", result["cluster_share_after"]),
    ]
    width = max(len(name) for name, _ in rows)
    print("| figure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument(
        "--capacity",
        type=int,
        default=COMPILED_CAPACITY_UNITS,
        help="units per worker (default: a worker with the compiled fan-out)",
    )
    parser.add_argument("--callers", type=int, default=16)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    result["machine"] = platform.node()
    result["when"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    print_table(result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
