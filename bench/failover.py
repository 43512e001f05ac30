"""Worker failover (issue 14, item 5): kill the room's media worker, time until media is back.

    .venv/bin/python -m bench.failover [--kills 10] [--redis redis://127.0.0.1:6379/15]

One ``meet serve`` process (SQLite, a throw-away folder) and two ``meet media`` workers
on Redis, as deployed; two members of /demo, each a protocol-speaking room socket with a
real aiortc peer connection (tests/meet/test_scale_out.py's clients), receive each other's
camera. Then, ``--kills`` times: the worker serving the room is SIGKILLed; each member
waits for ``media.moved`` and offers again, as the page does (``media.restart``); the time
from the kill until each member decodes a new frame of the other's camera is taken. The
killed worker is started again under its id before the next kill, so each kill finds two
live workers. Most of the time is the lease: a killed worker is declared dead 3 s after
its last beat (placement/store.py ``WORKER_TTL_MS``), which came 0-1 s before the kill.

Columns: seconds from the kill to ``media.moved`` (the later of the two members) and to
the first frame again (the later of the two). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Generator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast

import redis.asyncio

from mediaworker import ice
from placement.store import DEFAULT_PREFIX, Placement
from tests.e2e.conftest import serve
from tests.e2e.server import meet_shell
from tests.mediaworker.workers import start_media_process, stop_media_process
from tests.meet.test_scale_out import TOKENS, Member, SocketMedia, open_member

WORKERS = ("failover-0", "failover-1")
STEP_TIMEOUT_SECS = 30.0
POLL_SECS = 0.02
LEASE_SECS = 3.0  # placement/store.py WORKER_TTL_MS


async def frames_again(media: SocketMedia, peer: str, before: int) -> float:
    """When ``media`` decodes a frame of ``peer``'s camera past ``before`` (monotonic)."""
    while media.frames_from(peer) <= before:
        await asyncio.sleep(POLL_SECS)
    return time.monotonic()


async def recover(member: Member, media: SocketMedia, peer: str) -> tuple[float, float]:
    """The page's part: hear ``media.moved``, offer again, decode the other camera again."""
    before = media.frames_from(peer)
    await member.expect("media.moved")
    moved_at = time.monotonic()
    if media.pc is not None:
        await asyncio.wait_for(media.pc.close(), 10)
    await media.join()
    return moved_at, await frames_again(media, peer, before)


async def one_kill(
    places: Placement,
    processes: dict[str, asyncio.subprocess.Process],
    pairs: list[tuple[Member, SocketMedia, str]],
    redis_url: str,
) -> dict[str, Any]:
    """Kill the room's worker; time both members back; start the worker again."""
    (host,) = await places.room_hosts("demo")
    killed = processes[host.worker]
    killed_at = time.monotonic()
    killed.send_signal(signal.SIGKILL)
    await killed.wait()
    times = await asyncio.wait_for(
        asyncio.gather(*(recover(m, media, peer) for m, media, peer in pairs)), STEP_TIMEOUT_SECS
    )
    moved = max(at for at, _ in times) - killed_at
    back = max(at for _, at in times) - killed_at
    processes[host.worker] = await start_media_process(redis_url, MEET_MEDIA_WORKER_ID=host.worker)
    (now,) = await places.room_hosts("demo")
    return {"killed": host.worker, "moved_to": now.worker, "moved_s": moved, "back_s": back}


async def run(args: argparse.Namespace, url: str, database: str, var_dir: Path) -> dict[str, Any]:
    client: Any = redis.asyncio.Redis.from_url(args.redis)
    places = Placement(client)
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    processes: dict[str, asyncio.subprocess.Process] = {}
    members: list[Member] = []
    medias: list[SocketMedia] = []
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    try:
        for name in WORKERS:
            processes[name] = await start_media_process(args.redis, MEET_MEDIA_WORKER_ID=name)
        pairs = await asyncio.to_thread(meet_shell, TOKENS, database=database, var_dir=var_dir)
        for key, token in pairs:
            members.append(await open_member(url, key, token))
        a, b = members
        medias = [SocketMedia(a, camera=(160, 120)), SocketMedia(b, camera=(160, 120))]
        await asyncio.gather(*(media.join() for media in medias))
        await medias[0].wait_for(medias[0].receives([b.peer]), STEP_TIMEOUT_SECS)
        await medias[1].wait_for(medias[1].receives([a.peer]), STEP_TIMEOUT_SECS)
        watching = [(a, medias[0], b.peer), (b, medias[1], a.peer)]
        for n in range(args.kills):
            await asyncio.sleep(args.pause)
            try:
                row = await one_kill(places, processes, watching, args.redis)
            except Exception as error:  # report the kill that did not recover, stop there
                failed.append(f"kill {n + 1}: {type(error).__name__}: {error}"[:200])
                break
            rows.append(row)
            print(
                f"{n + 1:>4}  {row['killed']:<11} → {row['moved_to']:<11}"
                f"  {row['moved_s']:>8.2f}  {row['back_s']:>8.2f}",
                flush=True,
            )
    finally:
        await asyncio.gather(*(m.close() for m in medias), return_exceptions=True)
        await asyncio.gather(*(m.close() for m in members), return_exceptions=True)
        await asyncio.gather(
            *(stop_media_process(p) for p in processes.values()), return_exceptions=True
        )
        ice.restore_host_addresses()
        await client.aclose()
    backs = [row["back_s"] for row in rows]
    moves = [row["moved_s"] for row in rows]
    return {
        "bench": "failover",
        "kills": len(rows),
        "moved_p50_s": round(statistics.median(moves), 2) if moves else None,
        "back_p50_s": round(statistics.median(backs), 2) if backs else None,
        "back_max_s": round(max(backs), 2) if backs else None,
        "within_10s": sum(1 for back in backs if back <= 10.0),
        "lease_s": LEASE_SECS,
        "failed": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between kills")
    parser.add_argument(
        "--redis",
        default=os.environ.get("MEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="a Redis database of its own (its placement keys are cleared)",
    )
    args = parser.parse_args()
    import redis as sync_redis

    cleaner = sync_redis.Redis.from_url(args.redis)
    for key in [*cleaner.scan_iter(f"{DEFAULT_PREFIX}:*"), *cleaner.scan_iter("asgi*")]:
        cleaner.delete(key)
    cleaner.close()
    print(f"{'kill':>4}  {'worker':<11}   {'now on':<11}  {'moved s':>8}  {'back s':>8}")
    with ExitStack() as stack:
        var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="meet-failover-")))
        database = f"sqlite:///{var_dir / 'meet.sqlite3'}"
        env = {
            "REDIS_URL": args.redis,
            "MEET_MEDIA_WORKER": "external",
            "MEET_LIVE_RECONNECT_GRACE_SECS": "0",
        }
        server = cast(Generator[str, None, None], serve(database, var_dir, **env))
        url = next(server)
        stack.callback(server.close)
        result = asyncio.run(run(args, url, database, var_dir))
    print(
        f"kill → first frame again over {result['kills']} kills: p50 {result['back_p50_s']} s,"
        f" max {result['back_max_s']} s ({result['within_10s']} within 10 s)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
