"""Scale-out benchmark, first part (issue 14): an audience held by one worker versus two.

    .venv/bin/python -m bench.scaleout [--steps 100,200,...] [--window 10] [--quick]
                                       [--worker-cores 0.4] [--fine 25] [--fine-from 0.85]
                                       [--room 9]

Needs Redis (``--redis``, default redis://127.0.0.1:6379/3; the database is flushed).
bench/fanout.py's machinery (its publisher playing a pre-encoded 640×360 30 fps VP8
clip, viewers in four processes counting frames from RTP headers, the same steps and
the same "held" rule: every viewer joined and got >= 29 fps and the publisher is still
connected), run twice in the same run:

1. one ``meet media`` worker: the publisher and every viewer on it;
2. two workers, an origin and an edge: the publisher on the origin, half the viewers on
   each; the edge takes the publisher's stream once through a pipe
   (mediaworker/pipes.py) and serves its half. Placement is made to list the room on
   both, as the web side's ``book`` does when the origin passes its headroom.

``--room P`` measures a meeting instead of a broadcast: P publishers (the same clip each)
and sites that each watch all P cameras (P camera slots, last-N filling them), so a step
of n sites forwards n × P streams. With two workers the publishers are dealt over both,
so each worker pipes its publishers' streams to the other: the briefing of issue 14,
item 3, where everyone watches nine cameras.

The figure is the largest step each held and their ratio (required >= 1.7 on a 2-core
machine). The steps are coarse while the workers have room and fine near their limit:
once a step takes any worker to ``--fine-from`` of its share (its cap, or a core), the
audience grows by ``--fine`` viewers a step, so where each layout stops is known to
within ``--fine`` and the ratio does not hang on where the coarse steps happened to
fall. Server CPU is each worker process's own time (/proc), so the viewer processes that
share the machine do not count; but they do compete for its 2 cores, so the machine's
load is printed beside each step. The last line is one JSON object.

``--worker-cores F`` caps every worker at F cores (bench/cpu_cap.py, the cgroup CPU quota):
on 2 cores the viewers take most of the machine and the two layouts only show what the
machine holds; capped, each worker has the same share however busy the machine is, as a
worker with a core of its own on a larger server, and the ratio compares the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import subprocess
import time
from typing import Any

from bench.cpu_cap import CpuCap
from bench.fanout import (
    VIEWER_PROCESSES,
    Child,
    flush_redis,
    held_step,
    measure_step,
    proc_cpu_secs,
    stop_process,
    versions,
)
from bench.worker import SOLO_CHANNEL, start_worker
from mediaworker.wire import worker_channel
from placement.costs import MemberLoad

ROOM = "bench"
# The origin's capacity in placement only: small, so the second booking goes to the edge.
ORIGIN_UNITS = 10
BOOKING = MemberLoad(videos_seen=7, publishes=True)  # 8 units: the origin's 80 %


def book_once(redis_url: str) -> str:
    """Book one member of the room where the web side's ``book`` would; the worker's id."""
    import redis.asyncio

    from placement.store import Placement

    async def book() -> str:
        client: Any = redis.asyncio.Redis.from_url(redis_url)
        try:
            seat = await Placement(client).place(ROOM, BOOKING, pipe_units=1)
            return seat.worker if seat else ""
        finally:
            await client.aclose()

    return asyncio.run(book())


def audience(rows: list[dict[str, Any]]) -> int:
    """The audience the steps so far have joined."""
    return rows[-1]["subscribers"] if rows else 0


def next_step(args: argparse.Namespace, steps: list[int], rows: list[dict[str, Any]]) -> int | None:
    """The audience of the next step: ``steps`` until a worker nears its share, then fine."""
    current = audience(rows)
    share = args.worker_cores or 1.0
    if any(max(r["workers_cores"]) >= args.fine_from * share for r in rows):
        return current + args.fine
    return next((n for n in steps if n > current), None)


def run_layout(
    args: argparse.Namespace, steps: list[int], channels: list[str], pids: list[int], label: str
) -> list[dict[str, Any]]:
    """Grow the audience (split evenly over ``channels``) until a step does not hold.

    A broadcast has one publisher, on the first channel; a room (``--room P``) has P,
    dealt over the channels in turn, and every site watches all of them."""
    children: list[Child] = []
    rows: list[dict[str, Any]] = []
    slots = args.room or 1  # the cameras, and each site's camera slots
    try:
        # One publishing process per channel, with its share of the cameras.
        cameras = [len(range(c, slots, len(channels))) for c in range(len(channels))]
        publishers = [
            Child("publisher", args.redis, ROOM, channel, tag=f"{label}{c}", streams=count)
            for c, (channel, count) in enumerate(zip(channels, cameras, strict=True))
            if count
        ]
        children += publishers
        for publisher in publishers:
            publisher.wait()
        per_channel = max(1, VIEWER_PROCESSES // len(channels))
        viewers = [
            Child("viewers", args.redis, ROOM, channel, tag=f"{label}{c}-{i}", streams=slots)
            for c, channel in enumerate(channels)
            for i in range(per_channel)
        ]
        children += viewers
        while (n := next_step(args, steps, rows)) is not None and n <= steps[-1]:
            cpu0 = [proc_cpu_secs(pid) for pid in pids]
            t0 = time.monotonic()
            try:
                joining = n - audience(rows)
                row = measure_step(pids[0], viewers, joining, n, args.window, publishers, label)
            except (TimeoutError, OSError, EOFError) as exc:
                row = {"subscribers": n, "held": False, "failure": f"{type(exc).__name__}: {exc}"}
            elapsed = time.monotonic() - t0
            row["streams"] = n * slots
            # Each worker's CPU over the whole step (joins, settling and the window).
            row["workers_cores"] = [
                round((proc_cpu_secs(pid) - c) / elapsed, 3)
                for pid, c in zip(pids, cpu0, strict=True)
            ]
            rows.append(row)
            print(f"[{label}] {row}", flush=True)
            if not row["held"]:
                break
    finally:
        for child in reversed(children):
            child.stop()
    return rows


def capped(args: argparse.Namespace, worker: subprocess.Popen[str], name: str) -> list[CpuCap]:
    """``worker`` held to ``--worker-cores`` (nothing without it)."""
    if args.worker_cores is None:
        return []
    return [CpuCap(worker.pid, args.worker_cores, name)]


def one_worker(args: argparse.Namespace, steps: list[int]) -> list[dict[str, Any]]:
    flush_redis(args.redis)
    worker = start_worker(args.redis)
    caps = capped(args, worker, "one")
    try:
        return run_layout(args, steps, [SOLO_CHANNEL], [worker.pid], "one")
    finally:
        stop_process(worker)
        for cap in caps:
            cap.release()


def two_workers(args: argparse.Namespace, steps: list[int]) -> tuple[list[dict[str, Any]], Any]:
    flush_redis(args.redis)
    workers: list[subprocess.Popen[str]] = []
    caps: list[CpuCap] = []
    try:
        workers.append(
            start_worker(
                args.redis,
                MEET_MEDIA_WORKER_ID="origin",
                MEET_MEDIA_CAPACITY_UNITS=str(ORIGIN_UNITS),
            )
        )
        caps += capped(args, workers[-1], "origin")
        first = book_once(args.redis)  # the edge is not there yet: the origin
        workers.append(start_worker(args.redis, MEET_MEDIA_WORKER_ID="edge"))
        caps += capped(args, workers[-1], "edge")
        placed = [first, book_once(args.redis)]  # past the origin's headroom: the edge
        channels = [worker_channel("origin"), worker_channel("edge")]
        rows = run_layout(args, steps, channels, [w.pid for w in workers], "two")
        return rows, placed
    finally:
        for worker in workers:
            stop_process(worker)
        for cap in caps:
            cap.release()


def largest_held(rows: list[dict[str, Any]]) -> int:
    return max((r["subscribers"] for r in rows if r["held"]), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--steps", help="audiences (sites with --room); default: by 100 to 1,200")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="small steps, for a smoke run")
    parser.add_argument(
        "--worker-cores", type=float, help="cap every worker at this many cores (cgroup quota)"
    )
    parser.add_argument(
        "--room",
        type=int,
        default=0,
        help="a meeting instead of a broadcast: this many publishers, every site sees them all",
    )
    parser.add_argument("--fine", type=int, help="viewers a step near the limit (25; 5 sites)")
    parser.add_argument(
        "--fine-from",
        type=float,
        default=0.85,
        help="fine steps once a worker used this share of its cap (or of a core)",
    )
    args = parser.parse_args()
    if args.quick:
        args.steps, args.window, args.fine = "4,8" if args.room else "20,40", 4.0, 4
    if args.steps is None:
        first, last, by = (10, 200, 10) if args.room else (100, 1200, 100)
        args.steps = ",".join(str(n) for n in range(first, last + 1, by))
    if args.fine is None:
        args.fine = 5 if args.room else 25
    steps = [int(s) for s in args.steps.split(",")]
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    one = one_worker(args, steps)
    two, placed = two_workers(args, steps)
    held_one, held_two = largest_held(one), largest_held(two)
    print(f"\nmachine: {os.cpu_count()} cores, {platform.platform()}; {versions()}")
    print(f"date: {started:%Y-%m-%d %H:%M} UTC; window {args.window} s per step")
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; after: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"two workers: the room booked on {placed}")
    if args.room:
        print(f"a meeting: {args.room} publishers dealt over the workers, every site sees all")
    cap = "none" if args.worker_cores is None else f"{args.worker_cores} cores each"
    print(
        f"worker CPU cap: {cap}; steps of {args.fine} from {args.fine_from:.0%} of a worker's share"
    )
    audience = "sites" if args.room else "viewers"
    print(f"| layout | {audience} | streams | min fps | worker cores (each) | busy | load | |")
    print("|---|---|---|---|---|---|---|---|")
    for label, rows in (("one worker", one), ("origin + edge", two)):
        for r in rows:
            why = "" if r["held"] else f"did not hold: {r.get('failure')}"
            print(
                f"| {label} | {r['subscribers']} | {r['streams']} | {r.get('min_fps', '—')} | "
                f"{r.get('workers_cores')} | {r.get('machine_busy', '—')} | "
                f"{r.get('load_average', '—')} | {why} |"
            )
    result = {
        "one_worker_held": held_one,
        "two_workers_held": held_two,
        "ratio": round(held_two / held_one, 2) if held_one else None,
        "required_ratio": 1.7,
        "room_publishers": args.room,
        "streams_held": [held * (args.room or 1) for held in (held_one, held_two)],
        "worker_cores_cap": args.worker_cores,
        "fine_step": args.fine,
        "one_worker_did_not_hold": held_step(one),
        "two_workers_did_not_hold": held_step(two),
        "placed": placed,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
