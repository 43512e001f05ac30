"""Fan-out benchmark: one 640×360 30 fps ~1.4 Mbps VP8 publisher to N subscribers.

    .venv/bin/python -m bench.fanout [--steps 50,100,...] [--window 10] [--compare] [--quick]
    .venv/bin/python -m bench.fanout --storm [--storm-capacity N] [--storm-repeat 5]

Needs Redis (``--redis``, default redis://127.0.0.1:6379/14; the database is flushed).
Processes: the media worker (``meet media``, exactly as deployed), a publisher playing
a pre-encoded clip, viewers spread over several processes (aiortc clients that count
frames without decoding) and a probe that times joins to the first decoded frame, one
at a time, with the first step's audience watching (the goal: a participant joining a
big briefing) and again with the largest audience (at capacity, for information).
The baseline is a plain aiortc server with ``MediaRelay`` (decode once, re-encode per
viewer), measured in the same run with the same publisher and viewers. ``--compare``
also runs the worker with one ``sendto`` per forwarded packet (``MEET_MEDIA_BATCH_SENDS=off``,
the path before batched sends), between the two. ``--numbered`` also runs it with
viewers that offer transport-wide sequence numbers as Chromium does (the worker then
numbers each packet it forwards, mediaworker/transport_cc.py; issue 13 allows the
layer machinery 10 % per subscriber).

``--python`` also runs the worker with its fan-out in Python (``MEET_MEDIA_NATIVE_FANOUT=off``,
the path before the compiled helper of mediaworker/forwarding/fanout.c), right after the
first, so the two are compared under the same conditions.

``--storm`` (bench/fanout_storm.py) measures join storms instead: the capacity steps
(or ``--storm-capacity``), then 100 viewers joining at once with the worker at 90 % of
the subscribers it held, with the handshakes' admission on and off (issue 14, item 6).

A step holds when every viewer joined and got >= 29 fps and the publisher is still
connected; the first one that did not is printed with why (joins the worker did not
answer, the publisher's connection lost, the frame rate), and the run goes on to the
next server instead of ending there.

CPU is each server process's own (user + system) time from /proc/<pid>/stat over the
measurement window, so the viewers competing for the same 2 cores do not count; per
core = N / (server CPU seconds per second) at the largest N where every viewer still
got >= 29 fps. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.worker import SOLO_CHANNEL, start_worker

ROOT = Path(__file__).resolve().parent.parent
MIN_FPS = 29.0
CLK_TCK = os.sysconf("SC_CLK_TCK")
VIEWER_PROCESSES = 4
SETTLE_SECS = 5


def proc_cpu_secs(pid: int) -> float:
    """User + system CPU seconds of one process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


SENDTO_LABEL = "SFU, sendto per packet"
NUMBERED_LABEL = "SFU, numbered (transport-cc)"
PYTHON_LABEL = "SFU, fan-out in Python"


class Child:
    """A benchmark process driven over a pipe."""

    def __init__(
        self, role: str, redis_url: str, room: str, channel: str, tag: str = "", streams: int = 1
    ):
        from bench.fanout_clients import run

        context = multiprocessing.get_context("spawn")
        self.conn, child_conn = context.Pipe()
        self.process = context.Process(
            target=run, args=(role, child_conn, redis_url, room, channel, tag, streams), daemon=True
        )
        self.process.start()

    def ask(self, *command: Any, timeout: float = 300) -> dict[str, Any]:
        self.conn.send(command)
        if not self.conn.poll(timeout):
            raise TimeoutError(f"no answer to {command}")
        answer: dict[str, Any] = self.conn.recv()
        return answer

    def wait(self, timeout: float = 120) -> dict[str, Any]:
        if not self.conn.poll(timeout):
            raise TimeoutError("process did not start")
        answer: dict[str, Any] = self.conn.recv()
        return answer

    def stop(self) -> None:
        try:
            self.ask("stop", timeout=30)
        except (TimeoutError, OSError, EOFError):
            pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


def stop_process(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL: a stale server would steal the next run's messages."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def start_baseline(redis_url: str, channel: str) -> subprocess.Popen[str]:
    """The MediaRelay baseline server on its own channel."""
    baseline = subprocess.Popen(
        [sys.executable, "-m", "bench.fanout_baseline", redis_url, channel],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert baseline.stdout is not None
    if "baseline" not in baseline.stdout.readline():
        raise RuntimeError("baseline server did not start")
    return baseline


def measure(
    server_pid: int, viewers: list[Child], window: float
) -> tuple[float, list[float], float]:
    """Server cores used, each viewer's fps and the machine's busy share over ``window``."""
    cpu0, busy0 = proc_cpu_secs(server_pid), machine_busy()
    first = [v.ask("snapshot") for v in viewers]
    time.sleep(window)
    cpu1, busy1 = proc_cpu_secs(server_pid), machine_busy()
    last = [v.ask("snapshot") for v in viewers]
    fps: list[float] = []
    for a, b in zip(first, last, strict=True):
        elapsed = b["t"] - a["t"]
        fps += [(f1 - f0) / elapsed for f0, f1 in zip(a["frames"], b["frames"], strict=False)]
    machine = (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1)
    return (cpu1 - cpu0) / window, fps, machine


def run_steps(
    server_pid: int,
    steps: list[int],
    window: float,
    redis_url: str,
    room: str,
    channel: str,
    processes: int,
    label: str,
    after_step: Callable[[int], None] | None = None,
    publisher: Child | None = None,
) -> tuple[list[dict[str, Any]], list[Child]]:
    """Grow the audience step by step; stop at the first step that did not hold.

    A step holds when every viewer joined and got >= MIN_FPS and the publisher is still
    connected; one that did not is the last row, with why (a join storm that timed out
    is such a row, not a crash). ``after_step(n)`` runs once each held step is measured
    (the join probes)."""
    viewers = [
        Child("viewers", redis_url, room, channel, tag=f"{label}{i}") for i in range(processes)
    ]
    rows: list[dict[str, Any]] = []
    current = 0
    for n in steps:
        try:
            publishers = [publisher] if publisher is not None else []
            row = measure_step(server_pid, viewers, n - current, n, window, publishers, label)
        except (TimeoutError, OSError, EOFError) as exc:  # a viewers' process is gone
            row = {"subscribers": n, "held": False, "failure": f"{type(exc).__name__}: {exc}"}
        current = n
        rows.append(row)
        print(f"[{label}] {row}", flush=True)
        if not row["held"]:
            break
        if after_step is not None:
            after_step(n)
    return rows, viewers


def measure_step(
    server_pid: int,
    viewers: list[Child],
    joining: int,
    n: int,
    window: float,
    publishers: Sequence[Child],
    label: str,
) -> dict[str, Any]:
    """Join ``joining`` more viewers (``n`` in all), let them settle, measure one step."""
    processes = len(viewers)
    per = [joining // processes + (i < joining % processes) for i in range(processes)]
    for child, count in zip(viewers, per, strict=True):
        child.conn.send(("add", count))
    answers = [child.wait(timeout=900) for child in viewers]
    missing = sum(a["without_video"] for a in answers)
    failed = sum(a.get("failed_joins", 0) for a in answers)
    time.sleep(SETTLE_SECS)  # let the joins' keyframe requests and handshakes pass
    cores, fps, machine = measure(server_pid, viewers, window)
    if not fps or min(fps) < MIN_FPS:
        # The machine is shared: measure once more before calling it the limit.
        print(f"[{label}] {n}: min {min(fps, default=0):.1f} fps, measuring again", flush=True)
        time.sleep(2)
        cores, fps, machine = measure(server_pid, viewers, window)
    fps = fps or [0.0]
    row: dict[str, Any] = {
        "subscribers": n,
        "server_cores": round(cores, 3),
        "ms_per_subscriber": round(cores * 1000 / n, 2),
        "min_fps": round(min(fps), 1),
        "p5_fps": round(statistics.quantiles(fps, n=20)[0], 1)
        if len(fps) > 1
        else round(fps[0], 1),
        "mean_fps": round(statistics.fmean(fps), 1),
        "machine_busy": round(machine, 2),
        "load_average": os.getloadavg()[0],
        "without_video": missing,
        "failed_joins": failed,
        "per_core": round(n / cores) if cores > 0 else None,
    }
    failures = sorted({a["failure"] for a in answers if a.get("failure")})
    states = []
    for number, publisher in enumerate(publishers):
        stats = publisher.ask("stats", timeout=60)
        states.append(stats["state"])
        if stats["state"] != "connected":
            which = f"publisher {number + 1}" if len(publishers) > 1 else "publisher"
            failures.append(f"{which} {stats['state']} (ICE {stats['ice']})")
    if states:
        row["publisher"] = states[0] if len(set(states)) == 1 else states
    if failed:
        failures.insert(0, f"{failed} joins failed")
    if row["min_fps"] < MIN_FPS:
        failures.append(f"min {row['min_fps']} fps")
    row["held"] = not failures
    if failures:
        row["failure"] = "; ".join(failures)
    return row


def capacity(rows: list[dict[str, Any]]) -> int:
    """Subscribers per core at the largest step where every subscriber had >= 29 fps."""
    good = [r for r in rows if r["held"] and r["server_cores"] > 0]
    if not good:
        return 0
    best = max(good, key=lambda r: r["subscribers"])
    return round(best["subscribers"] / best["server_cores"])


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def versions() -> dict[str, str]:
    import aioice
    import aiortc
    import av

    return {
        "python": platform.python_version(),
        "aiortc": aiortc.__version__,
        "aioice": aioice.__version__,
        "av": av.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--steps", default="50,100,200,300,400,500,600,700,800")
    parser.add_argument("--baseline-steps", default="1,2,4,6,8")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also run the worker with one sendto per packet (MEET_MEDIA_BATCH_SENDS=off)",
    )
    parser.add_argument(
        "--python",
        action="store_true",
        help="also run the worker's fan-out in Python (MEET_MEDIA_NATIVE_FANOUT=off)",
    )
    parser.add_argument(
        "--numbered",
        action="store_true",
        help="also run it with viewers that offer transport-wide sequence numbers",
    )
    parser.add_argument("--quick", action="store_true", help="small steps, for a smoke run")
    parser.add_argument(
        "--storm", action="store_true", help="join storms at 90%% load, admission on and off"
    )
    parser.add_argument("--storm-capacity", type=int, help="subscribers held (skips the steps)")
    parser.add_argument("--storm-load", type=float, default=0.9)
    parser.add_argument("--storm-size", type=int, default=100)
    parser.add_argument("--storm-repeat", type=int, default=5)
    parser.add_argument(
        "--storm-before",
        action="store_true",
        help="also the worker before item 6 (MEET_MEDIA_FANOUT_SLICES=off, admission off)",
    )
    args = parser.parse_args()
    if args.storm:
        storms(args)
        return
    if args.quick:
        args.steps, args.baseline_steps, args.window, args.probes = "20,40", "1,2", 4.0, 5
    steps = [int(s) for s in args.steps.split(",")]
    baseline_steps = [int(s) for s in args.baseline_steps.split(",")]
    flush_redis(args.redis)
    started = datetime.datetime.now(datetime.UTC)

    # 1. The media worker, forwarding (and, to compare, with a sendto per packet).
    runs = {"SFU (forwarding)": measure_sfu(args, steps)}
    if args.python:
        flush_redis(args.redis)
        runs[PYTHON_LABEL] = measure_sfu(args, steps, MEET_MEDIA_NATIVE_FANOUT="off")
    if args.compare:
        flush_redis(args.redis)
        runs[SENDTO_LABEL] = measure_sfu(args, steps, MEET_MEDIA_BATCH_SENDS="off")
    if args.numbered:
        from bench.fanout_clients import NUMBERED_ENV

        flush_redis(args.redis)
        os.environ[NUMBERED_ENV] = "1"  # the viewer processes, spawned, inherit it
        try:
            runs[NUMBERED_LABEL] = measure_sfu(args, steps)
        finally:
            del os.environ[NUMBERED_ENV]
    baseline_rows = measure_baseline(args, baseline_steps)
    report(args, started, runs, baseline_rows)


def storms(args: argparse.Namespace) -> None:
    """``--storm``: the capacity this run holds, then the storms (bench/fanout_storm.py)."""
    from bench.fanout_storm import report_storms, run_storms

    flush_redis(args.redis)
    started = datetime.datetime.now(datetime.UTC)
    rows: list[dict[str, Any]] = []
    held = args.storm_capacity
    if held is None:
        args.probes = 0  # capacity only: the storms are what this run measures
        rows, _, _ = measure_sfu(args, [int(s) for s in args.steps.split(",")])
        held = max((r["subscribers"] for r in rows if r["held"]), default=0)
    storm_rows = run_storms(
        args.redis,
        capacity=held,
        load=args.storm_load,
        size=args.storm_size,
        repeat=args.storm_repeat,
        window=args.window,
        modes=("on", "off", "before") if args.storm_before else ("on", "off"),
    )
    print(f"\nmachine: {os.cpu_count()} cores, {platform.platform()}; {versions()}")
    print(f"date: {started:%Y-%m-%d %H:%M} UTC; window {args.window} s")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if rows:
        print(
            "| server | subscribers | server CPU (cores) | ms/s per subscriber | min fps "
            "| p5 fps | machine busy | per core | |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        print_rows("SFU (forwarding)", rows)
    summary = report_storms(storm_rows)
    result = {
        "capacity_held": held,
        "capacity_measured": not args.storm_capacity,
        "did_not_hold": held_step(rows) if rows else None,
        "storm_audience": storm_rows[0]["audience"] if storm_rows else 0,
        "storm_size": args.storm_size,
        **summary,
    }
    print(json.dumps(result))


def measure_sfu(
    args: argparse.Namespace, steps: list[int], **settings: str
) -> tuple[list[dict[str, Any]], dict[int, list[float]], int]:
    """The media worker (``meet media``): capacity steps, then join probes."""
    worker = start_worker(args.redis, **settings)
    children: list[Child] = []
    keyframes = -1
    try:
        publisher = Child("publisher", args.redis, "bench", SOLO_CHANNEL)
        children.append(publisher)
        publisher.wait()
        probe = Child("probe", args.redis, "bench", SOLO_CHANNEL)
        children.append(probe)
        joins: dict[int, list[float]] = {}

        def probe_joins(audience: int, *, last_held: bool = False) -> None:
            # Join time to the first decoded frame, with this audience watching: the
            # first step (a big briefing) for the goal, the last one that held for
            # information.
            if last_held or audience in (steps[0], steps[-1]):
                try:
                    joins[audience] = probe.ask("join", args.probes, timeout=900)["join_secs"]
                except (TimeoutError, OSError, EOFError):
                    joins[audience] = [math.inf] * args.probes

        rows, viewers = run_steps(
            worker.pid,
            steps,
            args.window,
            args.redis,
            "bench",
            SOLO_CHANNEL,
            VIEWER_PROCESSES,
            "sfu",
            probe_joins,
            publisher,
        )
        children += viewers
        held = [r["subscribers"] for r in rows if r["held"]]
        if held and held[-1] not in joins:  # the audience grew no further than this
            probe_joins(held[-1], last_held=True)
        try:
            keyframes = int(publisher.ask("stats", timeout=60)["keyframes"])
        except (TimeoutError, OSError, EOFError):
            pass
    finally:
        for child in reversed(children):
            child.stop()
        stop_process(worker)
    return rows, joins, keyframes


def measure_baseline(args: argparse.Namespace, steps: list[int]) -> list[dict[str, Any]]:
    """The MediaRelay baseline with the same publisher clip and viewers."""
    baseline = start_baseline(args.redis, "bench-baseline")
    children: list[Child] = []
    try:
        publisher = Child("publisher", args.redis, "bench", "bench-baseline")
        children.append(publisher)
        publisher.wait()
        rows, viewers = run_steps(
            baseline.pid, steps, args.window, args.redis, "bench", "bench-baseline", 1, "relay"
        )
        children += viewers
    finally:
        for child in reversed(children):
            child.stop()
        stop_process(baseline)
    return rows


def join_summary(joins: list[float]) -> dict[str, Any]:
    """p50/p95 (ms) of join-to-first-frame times; inf (no frame within 10 s) is a timeout."""
    joins_ms = sorted(j * 1000 for j in joins)
    finite = [j for j in joins_ms if math.isfinite(j)]
    p95 = joins_ms[max(0, int(len(joins_ms) * 0.95 + 0.5) - 1)] if joins_ms else math.inf
    return {
        "p50_ms": round(statistics.median(finite)) if finite else None,
        "p95_ms": round(p95) if math.isfinite(p95) else None,
        "timeouts": len(joins_ms) - len(finite),
        "all_ms": [round(j) if math.isfinite(j) else "timeout" for j in joins_ms],
    }


def held_step(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The first step that did not hold, with why (None: every step held)."""
    failed = [r for r in rows if not r["held"]]
    if not failed:
        return None
    return {"subscribers": failed[0]["subscribers"], "failure": failed[0].get("failure")}


def print_rows(label: str, rows: list[dict[str, Any]]) -> None:
    """One table row per step; a step that did not hold says why."""
    for r in rows:
        if "server_cores" not in r:
            dashes = " — |" * 6
            print(f"| {label} | {r['subscribers']} |{dashes} did not hold: {r['failure']} |")
            continue
        why = "" if r["held"] else f"did not hold: {r['failure']}"
        print(
            f"| {label} | {r['subscribers']} | {r['server_cores']:.3f} | "
            f"{r['ms_per_subscriber']:.2f} | {r['min_fps']} | {r['p5_fps']} | "
            f"{r['machine_busy']:.0%} | {r['per_core']} | {why} |"
        )


def report(
    args: argparse.Namespace,
    started: datetime.datetime,
    runs: dict[str, tuple[list[dict[str, Any]], dict[int, list[float]], int]],
    baseline_rows: list[dict[str, Any]],
) -> None:
    """Print the tables, then the JSON line."""
    rows, joins, keyframes = next(iter(runs.values()))
    per_core = capacity(rows)
    baseline_per_core = capacity(baseline_rows)
    print(f"\nmachine: {os.cpu_count()} cores, {platform.platform()}; {versions()}")
    print(f"date: {started:%Y-%m-%d %H:%M} UTC; window {args.window} s per step")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        "| server | subscribers | server CPU (cores) | ms/s per subscriber | min fps "
        "| p5 fps | machine busy | per core | |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for label, (table, _, _) in runs.items():
        print_rows(label, table)
    print_rows("MediaRelay baseline", baseline_rows)
    summaries = {audience: join_summary(times) for audience, times in sorted(joins.items())}
    print("| audience watching | join to first decoded frame p50 | p95 | timeouts |")
    print("|---|---|---|---|")
    for audience, summary in summaries.items():
        p50, p95, timeouts = summary["p50_ms"], summary["p95_ms"], summary["timeouts"]
        print(f"| {audience} | {p50} ms | {p95} ms | {timeouts} |")
    for audience, summary in summaries.items():
        print(f"join times with {audience} watching (ms): {summary['all_ms']}")
    print(f"publisher keyframes sent: {keyframes}")
    first = summaries[min(summaries)] if summaries else join_summary([])
    result: dict[str, Any] = {
        "subscribers_per_core": per_core,
        "baseline_subscribers_per_core": baseline_per_core,
        "ratio": round(per_core / baseline_per_core, 1) if baseline_per_core else None,
        "max_subscribers_measured": max((r["subscribers"] for r in rows if r["held"]), default=0),
        "did_not_hold": held_step(rows),
        "join_to_first_frame_audience": min(summaries) if summaries else 0,
        "join_to_first_frame_p95_ms": first["p95_ms"],
        "join_to_first_frame_p50_ms": first["p50_ms"],
        "join_timeouts": first["timeouts"],
        # Probed again only when the last step still held (else there is no such row).
        "join_to_first_frame_at_capacity": (
            {
                "audience": max(summaries),
                "p50_ms": summaries[max(summaries)]["p50_ms"],
                "p95_ms": summaries[max(summaries)]["p95_ms"],
            }
            if len(summaries) > 1
            else None
        ),
        "baseline_did_not_hold": held_step(baseline_rows),
    }
    keys = {
        SENDTO_LABEL: "per_packet_sendto",
        NUMBERED_LABEL: "numbered",
        PYTHON_LABEL: "python_fanout",
    }
    for label, (table, _, _) in list(runs.items())[1:]:
        result[keys[label]] = {
            "label": label,
            "subscribers_per_core": capacity(table),
            "max_subscribers_measured": max(
                (r["subscribers"] for r in table if r["held"]), default=0
            ),
            "did_not_hold": held_step(table),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
