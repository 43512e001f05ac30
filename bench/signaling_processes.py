"""bench/signaling.py across processes (issue 14): one room served by N daphne processes.

    .venv/bin/python -m bench.signaling --processes 2,1 [--members 5000] [--joiners 1000]
        [--rate 10] [--chat-secs 20] [--generators 4] [--member-rate 40] [--py-spy DIR]

For each N of ``--processes``, in the same run: N daphne processes serving
``meet.asgi:application`` as ``meet serve`` does, on Redis (channels_redis, the product's
settings, ``--redis-url``) and one PostgreSQL database (``--database-url``, made afresh
for the run), then

1. **joins**: ``--joiners`` members open a socket to one fresh room at once, spread evenly
   over the processes: open → ``welcome`` p50/p95/p99 and joins per second (from the first
   open to the last welcome); they stay until the phase ends.
2. **members**: ``--members`` members join another room at ``--member-rate`` a second,
   spread evenly over the processes (the join's p99 and errors are reported; a join that
   fails is reported, never fatal: the chat runs with the members that got in).
3. **chat**: ``--rate`` messages a second (senders on every process) for ``--chat-secs``;
   every member times every message: p50/p95/p99, deliveries per second, messages lost
   (per member: messages sent − messages it received), each daphne's CPU per delivery
   it made, and the load generators' CPU and event-loop lag (are they the bottleneck?),
   Redis's CPU and the whole machine's busy share.

The load generators are ``--generators`` processes of lean clients (bench/ws_lean.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.signaling import (
    SETTLE_SECS,
    Generator,
    Server,
    _py_spy,
    cpu_secs,
    percentile,
    split,
    summary,
)


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])
    return total - idle, total


def redis_pid(url: str) -> int:
    """The Redis server's process id (0 when it cannot be read)."""
    try:
        import redis

        return int(redis.Redis.from_url(url, socket_timeout=2).info("server")["process_id"])
    except Exception:
        return 0


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on this machine (the server is shared:
    other sessions' queries count too, so read it beside the machine's busy share)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "comm").read_text().strip() == "postgres":
                    total += cpu_secs(int(proc.name))
            except (OSError, IndexError, ValueError):
                continue
    return total


def reset_database(url: str, redis_url: str) -> None:
    """A fresh PostgreSQL database and an empty Redis DB for the run."""
    import psycopg
    import redis

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()


def safe_cpu(pid: int) -> float:
    try:
        return cpu_secs(pid)
    except (OSError, IndexError, ValueError):
        return 0.0


def stop_profilers(profilers: list[subprocess.Popen[bytes] | None]) -> None:
    for profiler in profilers:
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)


class Cluster:
    """N daphne processes on one database and one Redis."""

    def __init__(self, count: int, args: argparse.Namespace) -> None:
        self.servers = [
            Server("redis", args.redis_url, database_url=args.database_url) for _ in range(count)
        ]
        for index, server in enumerate(self.servers):  # /tmp/meet-bench-processes2-1.log …
            server.log_name = f"meet-bench-processes{count}-{index}"
            # One database connection for the whole run: PostgreSQL's CPU is read from its
            # live backends, and a backend that closed would take its CPU time with it.
            server.env["DATABASE_CONN_MAX_AGE"] = "3600"

    def start(self) -> None:
        for server in self.servers:
            server.start()

    def urls(self, slug: str) -> list[str]:
        return [f"ws://127.0.0.1:{server.port}/ws/rooms/{slug}/" for server in self.servers]

    def cpu(self) -> list[float]:
        return [safe_cpu(server.pid) for server in self.servers]

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def close_all(generators: list[Generator]) -> None:
    for generator in generators:
        try:
            generator.close()
        except Exception as exc:  # reported by the phase's numbers, never fatal
            print(f"generator did not close: {exc!r}", file=sys.stderr, flush=True)


def run_joins(
    cluster: Cluster, slug: str, credentials: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    """``--joiners`` members at once into one room through the cluster."""
    generators = [
        Generator(cluster.urls(slug), part, lean=True)
        for part in split(credentials, args.generators)
    ]
    cpu_start, pg_start = cluster.cpu(), postgres_cpu()
    for generator in generators:
        generator.ask("join", 0, True)
    answers = [generator.answer() for generator in generators]
    cpu_used = [after - before for after, before in zip(cluster.cpu(), cpu_start, strict=True)]
    pg_used = postgres_cpu() - pg_start
    latencies = [value for answer in answers for value in answer["latencies_ms"]]
    errors = [error for answer in answers for error in answer["errors"]]
    started = min(answer["started"] for answer in answers)
    ended = max(answer["ended"] for answer in answers)
    close_all(generators)
    result = {
        **summary(latencies),
        "errors": len(errors),
        "joins_per_sec": round(len(latencies) / max(0.001, ended - started), 1),
        "daphne_cpu_ms_per_join": [round(c / max(1, len(latencies)) * 1000, 2) for c in cpu_used],
        "daphne_core_share": [round(c / max(0.001, ended - started), 2) for c in cpu_used],
        "postgres_core_share": round(pg_used / max(0.001, ended - started), 2),
    }
    if errors:
        result["first_error"] = errors[0]
    return result


def run_members(
    cluster: Cluster, slug: str, credentials: list[tuple[str, str]], args: argparse.Namespace
) -> tuple[list[Generator], dict[str, Any]]:
    """``--members`` members join one room at ``--member-rate``; they stay for the chat."""
    generators = [
        Generator(cluster.urls(slug), part, lean=True)
        for part in split(credentials, args.generators)
    ]
    profilers = [
        _py_spy(server.pid, args.py_spy, f"processes{len(cluster.servers)}-daphne{index}-members")
        for index, server in enumerate(cluster.servers)
    ]
    cpu_start, pg_start = cluster.cpu(), postgres_cpu()
    for generator in generators:
        generator.ask("join", args.member_rate / args.generators, True)
    answers = [generator.answer(timeout=3600) for generator in generators]
    cpu_used = [after - before for after, before in zip(cluster.cpu(), cpu_start, strict=True)]
    pg_used = postgres_cpu() - pg_start
    stop_profilers(profilers)
    latencies = [value for answer in answers for value in answer["latencies_ms"]]
    errors = [error for answer in answers for error in answer["errors"]]
    started = min(answer["started"] for answer in answers)
    ended = max(answer["ended"] for answer in answers)
    result = {
        "joined": len(latencies),
        "errors": len(errors),
        **summary(latencies),
        "joins_per_sec": round(len(latencies) / max(0.001, ended - started), 1),
        "daphne_cpu_ms_per_join": [round(c / max(1, len(latencies)) * 1000, 2) for c in cpu_used],
        "postgres_core_share": round(pg_used / max(0.001, ended - started), 2),
    }
    if errors:
        result["first_error"] = errors[0]
    return generators, result


def run_chat(
    cluster: Cluster, generators: list[Generator], joined: int, args: argparse.Namespace
) -> dict[str, Any]:
    """``--rate`` messages a second into the members' room; every member times each."""
    count, gens = len(cluster.servers), len(generators)
    senders = int(args.rate)
    offsets: list[list[float]] = [[] for _ in generators]
    for sender in range(senders):  # sender k: generator k % G, its (k // G)th client
        offsets[sender % gens].append(sender / args.rate)
    redis = redis_pid(args.redis_url)
    profilers = [
        _py_spy(server.pid, args.py_spy, f"processes{count}-daphne{index}-chat")
        for index, server in enumerate(cluster.servers)
    ]
    start_at = time.time() + 2.0
    cpu_start, gen_start = cluster.cpu(), [safe_cpu(g.pid) for g in generators]
    redis_start, busy_start, pg_start = safe_cpu(redis), machine_busy(), postgres_cpu()
    for generator, mine in zip(generators, offsets, strict=True):
        generator.ask("chat", mine, args.chat_secs, start_at)
    answers = [generator.answer() for generator in generators]
    busy_end, pg_used = machine_busy(), postgres_cpu() - pg_start
    cpu_used = [after - before for after, before in zip(cluster.cpu(), cpu_start, strict=True)]
    gen_used = [safe_cpu(g.pid) - before for g, before in zip(generators, gen_start, strict=True)]
    redis_used = safe_cpu(redis) - redis_start
    stop_profilers(profilers)
    sent = sum(answer["sent"] for answer in answers)
    latencies = [value for answer in answers for value in answer["latencies_ms"]]
    per_server = [0] * count
    lost = 0
    for answer in answers:
        for index, received in enumerate(answer["received"]):
            if received < 0:
                continue  # never joined (counted in the members' errors)
            per_server[index % count] += received
            lost += max(0, sent - received)
    first = min(answer["first_sent"] for answer in answers if answer["first_sent"])
    last = max(answer["last_received"] for answer in answers)
    lags = [value for answer in answers for value in answer["loop_lag_ms"]]
    remote = [value for answer in answers for value in answer.get("remote_latencies_ms", [])]
    busy = (busy_end[0] - busy_start[0]) / max(1, busy_end[1] - busy_start[1])
    wall = max(0.001, last - first)  # the chat's own seconds (not the grace after it)
    return {
        "messages_per_sec": args.rate,
        "sent": sent,
        "send_failures": sum(answer["send_failures"] for answer in answers),
        "deliveries": len(latencies),
        "expected_deliveries": sent * joined,
        "lost": lost,
        "deliveries_per_sec": round(len(latencies) / max(0.001, last - first)),
        **summary(latencies),
        # the deliveries whose message came from another process (over Redis)
        "relayed": summary(remote),
        "daphne_cpu_us_per_delivery": [
            round(c / max(1, n) * 1e6, 1) for c, n in zip(cpu_used, per_server, strict=True)
        ],
        "daphne_core_share": [round(c / wall, 2) for c in cpu_used],
        "generator_core_share": [round(c / wall, 2) for c in gen_used],
        "generator_cpu_us_per_delivery": round(sum(gen_used) / max(1, len(latencies)) * 1e6, 1),
        "generator_loop_lag_ms": {
            "p99": round(percentile(lags, 0.99), 1),
            "max": round(max(lags, default=0.0), 1),
        },
        "redis_core_share": round(redis_used / wall, 2) if redis else None,
        "postgres_core_share": round(pg_used / wall, 2),
        "machine_busy_share": round(busy, 2),
    }


def run_cluster(
    count: int, credentials: dict[str, list[tuple[str, str]]], args: argparse.Namespace
) -> dict[str, Any]:
    """Every phase through ``count`` daphne processes; a failed step is reported."""
    result: dict[str, Any] = {"processes": count, "load_average_before": os.getloadavg()}
    cluster = Cluster(count, args)
    generators: list[Generator] = []
    step = "start"
    try:
        cluster.start()
        step = "joins"
        slug = f"joins-{count}p"
        result["joins"] = run_joins(cluster, slug, credentials[slug], args)
        time.sleep(SETTLE_SECS * 2)  # the joiners' leaves are done
        step = "members"
        generators, result["members"] = run_members(
            cluster, f"chat-{count}p", credentials[f"chat-{count}p"], args
        )
        time.sleep(5)  # let presence fan-out settle
        step = "chat"
        result["chat"] = run_chat(cluster, generators, result["members"]["joined"], args)
        step = "done"
    except Exception as exc:  # the step that failed is the result, not a crash
        result["failed_step"] = step
        result["failure"] = repr(exc)[:500]
    finally:
        close_all(generators)
        cluster.stop()
    result["load_average_after"] = os.getloadavg()
    return result


def prepare(args: argparse.Namespace, counts: list[int]) -> dict[str, list[tuple[str, str]]]:
    """One fresh database with every room and member of the run."""
    reset_database(args.database_url, args.redis_url)
    rooms = {}
    for count in counts:
        rooms[f"joins-{count}p"] = args.joiners
        rooms[f"chat-{count}p"] = args.members
    setup = Server("redis", args.redis_url, database_url=args.database_url)
    try:
        return setup.prepare(rooms)
    finally:
        setup.stop()


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """The Markdown table of docs/benchmarks.md's cross-process section."""

    def cell(result: dict[str, Any], phase: str, render: Any) -> str:
        if phase not in result:
            return f"failed at {result.get('failed_step', '?')}"
        return str(render(result[phase]))

    def us_list(values: list[float]) -> str:
        return " / ".join(f"{value}" for value in values) + " µs"

    lines = [
        ("", lambda r: f"{r['processes']} daphne"),
        (
            f"{args.joiners:,} joins at once: welcome p50 / p95 / p99",
            lambda r: cell(r, "joins", lambda j: f"{j['p50']} / {j['p95']} / {j['p99']} ms"),
        ),
        (
            "joins per second (errors)",
            lambda r: cell(r, "joins", lambda j: f"{j['joins_per_sec']} ({j['errors']})"),
        ),
        (
            "daphne CPU per join; each daphne's, PostgreSQL's share of a core",
            lambda r: cell(
                r,
                "joins",
                lambda j: (
                    " / ".join(f"{v} ms" for v in j["daphne_cpu_ms_per_join"])
                    + "; "
                    + " / ".join(map(str, j.get("daphne_core_share", [])))
                    + f", {j.get('postgres_core_share')}"
                ),
            ),
        ),
        (
            f"{args.members:,} members at {args.member_rate:g}/s: joined, rate, p99",
            lambda r: cell(
                r,
                "members",
                lambda m: (
                    f"{m['joined']:,} ({m['errors']} errors), {m['joins_per_sec']}/s, {m['p99']} ms"
                ),
            ),
        ),
        (
            f"chat {args.rate:g} msg/s: p50 / p95 / p99",
            lambda r: cell(r, "chat", lambda c: f"{c['p50']} / {c['p95']} / **{c['p99']}** ms"),
        ),
        (
            "of which relayed from the other process: p50 / p99",
            lambda r: cell(
                r,
                "chat",
                lambda c: (
                    f"{c['relayed']['p50']} / {c['relayed']['p99']} ms ({c['relayed']['n']:,})"
                    if c.get("relayed", {}).get("n")
                    else "—"
                ),
            ),
        ),
        (
            "deliveries per second (lost)",
            lambda r: cell(r, "chat", lambda c: f"{c['deliveries_per_sec']:,} ({c['lost']:,})"),
        ),
        (
            "each daphne's CPU per delivery",
            lambda r: cell(r, "chat", lambda c: us_list(c["daphne_cpu_us_per_delivery"])),
        ),
        (
            "each daphne's share of a core",
            lambda r: cell(r, "chat", lambda c: " / ".join(map(str, c["daphne_core_share"]))),
        ),
        (
            "generators: share of a core each; loop lag p99",
            lambda r: cell(
                r,
                "chat",
                lambda c: (
                    " / ".join(map(str, c["generator_core_share"]))
                    + f"; {c['generator_loop_lag_ms']['p99']} ms"
                ),
            ),
        ),
        (
            "Redis, PostgreSQL share of a core; machine busy",
            lambda r: cell(
                r,
                "chat",
                lambda c: (
                    f"{c['redis_core_share']}, {c.get('postgres_core_share')}; "
                    f"{c['machine_busy_share']:.0%}"
                ),
            ),
        ),
    ]
    rows = []
    for index, (label, render) in enumerate(lines):
        rows.append(f"| {label} | " + " | ".join(render(r) for r in results) + " |")
        if index == 0:
            rows.append("|---" * (len(results) + 1) + "|")
    return "\n".join(rows)


def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every ``--processes`` count in turn; returns their results."""
    counts = [int(value) for value in args.processes.split(",")]
    credentials = prepare(args, counts)
    results = []
    for count in counts:
        print(f"== {count} daphne process(es)", file=sys.stderr, flush=True)
        results.append(run_cluster(count, credentials, args))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(table(results, args))
    return results


def database_answers(url: str) -> bool:
    try:
        import psycopg

        admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
        with psycopg.connect(admin, connect_timeout=2):
            return True
    except Exception:
        return False
