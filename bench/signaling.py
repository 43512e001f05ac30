"""Signaling benchmark: joins, chat fan-out and memory of the live-room WebSocket.

    .venv/bin/python -m bench.signaling [--layers memory,redis] [--members 1000]
        [--joiners 500] [--chat-secs 20] [--rate 10] [--quick]
        [--only join_paced,join_burst,chat] [--py-spy DIR]

For each channel layer (in-memory; Redis when ``--redis-url`` answers), a fresh database
and one daphne process serving ``meet.asgi:application`` exactly as ``meet serve`` does:

1. **join**: ``--joiners`` clients open a WebSocket to one room within 5 s (paced) and
   again all at once; the time from opening the socket to the ``welcome`` (p50/p95/p99),
   and daphne's CPU per join + leave (each client closes right after its welcome).
2. **idle memory**: ``--members`` clients joined to one room; daphne's RSS growth per
   connection (/proc/<pid>/status).
3. **chat fan-out**: those members; ``--rate`` chat messages a second (10 senders, one
   a second each, evenly spread) for ``--chat-secs``; every member times every message
   from its send to its arrival: deliveries per second and p50/p95/p99 latency; daphne's
   CPU per delivery.

Load generators are separate processes (bench/signaling_clients.py, the ``websockets``
client), on loopback only. The baseline is shared/MEASURED.md's stock-Channels table
(p99 67 s / 63 s at 10 msg/s into 1,000 members). The last line printed is one JSON object.

``--only`` runs some phases (``join_paced``, ``join_burst``, ``chat``: the members' joins,
idle memory and chat); ``--py-spy DIR`` records daphne with py-spy during each run's
paced joins (collapsed stacks, ``DIR/<layer>-join_paced.txt``; py-spy from the virtualenv
or PATH).

``--processes 2,1`` runs one room across that many daphne processes instead, on Redis
and PostgreSQL (bench/signaling_processes.py says what it measures).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")
GENERATORS = 2
JOIN_WINDOW_SECS = 5.0
PHASES = ("join_paced", "join_burst", "chat")
SETTLE_SECS = 2.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of a list of milliseconds."""
    return {
        "p50": round(percentile(values, 0.50), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
        "max": round(max(values), 1) if values else 0.0,
        "n": len(values),
    }


def rss_kib(pid: int) -> int:
    """Resident memory of a process, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_secs(pid: int) -> float:
    """User + system CPU seconds of one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except Exception:
        return False


class Server:
    """A fresh database and one daphne process, as ``meet serve`` runs it."""

    def __init__(self, layer: str, redis_url: str, *, database_url: str = "") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=f"meet-bench-{layer}-"))
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url or f"sqlite:///{self.dir / 'meet.sqlite3'}",
            "MEET_VAR_DIR": str(self.dir),
            "MEET_LIVE_JOIN_TOKEN_SECS": "3600",
            # Every simulated member connects from 127.0.0.1: lift the per-address cap and
            # the per-address join limit (2,000 joins from one address in half a minute).
            "MEET_WS_MAX_PER_ADDRESS": "1000000",
            "MEET_LIVE_ABUSE_RATES": "join_address=0.0001/1000000",
            # Keep the database connection of daphne's one database thread open (Django's
            # default, 0, reconnects SQLite for every database_sync_to_async call).
            "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        if layer == "redis":
            self.env["REDIS_URL"] = redis_url
            self.env["MEET_MEDIA_WORKER"] = "external"
        else:
            self.env.pop("REDIS_URL", None)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_name = self.dir.name.rsplit("-", 1)[0]  # its copy in /tmp after the run

    def prepare(self, rooms: dict[str, int]) -> dict[str, list[tuple[str, str]]]:
        python = sys.executable
        subprocess.run(
            [python, "-m", "meet", "migrate", "--verbosity", "0"],
            env=self.env,
            cwd=ROOT,
            check=True,
        )
        specs = [f"{slug}:{count}" for slug, count in rooms.items()]
        made = subprocess.run(
            [python, "-m", "bench.signaling_setup", *specs],
            env=self.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return {
            slug: [tuple(row) for row in rows] for slug, rows in json.loads(made.stdout).items()
        }

    def start(self) -> None:
        log = (self.dir / "daphne.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "meet.asgi:application",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("daphne did not start: " + (self.dir / "daphne.log").read_text()[-2000:])

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        log = self.dir / "daphne.log"
        if log.exists():  # kept for reading after the run
            shutil.copy(log, Path(tempfile.gettempdir()) / f"{self.log_name}.log")
        shutil.rmtree(self.dir, ignore_errors=True)


class Generator:
    """One load-generator process (bench/signaling_clients.py)."""

    def __init__(
        self, urls: list[str], credentials: list[tuple[str, str]], *, lean: bool = False
    ) -> None:
        from bench.signaling_clients import run

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=run, args=(child, urls, credentials, lean), daemon=True
        )
        self.process.start()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def ask(self, *command: Any) -> None:
        self.conn.send(command)

    def answer(self, timeout: float = 600) -> Any:
        if not self.conn.poll(timeout):
            raise RuntimeError("load generator did not answer")
        return self.conn.recv()

    def close(self) -> None:
        try:
            self.ask("close")
            self.answer(timeout=60)
        finally:
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.kill()


def split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[index::parts] for index in range(parts)]


def run_layer(layer: str, args: argparse.Namespace) -> dict[str, Any]:
    server = Server(layer, args.redis_url)
    sizes = {"join_paced": args.joiners, "join_burst": args.joiners, "chat": args.members}
    rooms = {name.replace("_", "-"): count for name, count in sizes.items() if name in args.only}
    try:
        credentials = server.prepare(rooms)
        server.start()
        result: dict[str, Any] = {"layer": layer}

        def url(slug: str) -> str:
            return f"ws://127.0.0.1:{server.port}/ws/rooms/{slug}/"

        for name, rate in (("join_paced", args.joiners / JOIN_WINDOW_SECS), ("join_burst", 0)):
            if name not in args.only:
                continue
            slug = "join-paced" if rate else "join-burst"
            profiler = _py_spy(server.pid, args.py_spy, f"{layer}-{name}") if rate else None
            cpu_start = cpu_secs(server.pid)
            generator = Generator([url(slug)], credentials[slug])
            generator.ask("join", rate, False)
            joined = generator.answer()
            generator.close()
            time.sleep(SETTLE_SECS)  # the last leaves are done
            cpu_used = cpu_secs(server.pid) - cpu_start
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(timeout=60)
            result[name] = {
                **summary(joined["latencies_ms"]),
                "errors": len(joined["errors"]),
                "daphne_cpu_ms_per_join": round(cpu_used / max(1, args.joiners) * 1000, 2),
            }
            if joined["errors"]:
                result[name]["first_error"] = joined["errors"][0]
        if "chat" not in args.only:
            return result

        rss_before = rss_kib(server.pid)
        generators = [
            Generator([url("chat")], part) for part in split(credentials["chat"], GENERATORS)
        ]
        for generator in generators:
            generator.ask("join", args.members / JOIN_WINDOW_SECS / GENERATORS / 2, True)
        member_joins = [generator.answer() for generator in generators]
        latencies = [value for answer in member_joins for value in answer["latencies_ms"]]
        errors = sum(len(answer["errors"]) for answer in member_joins)
        time.sleep(5)  # let presence fan-out settle
        rss_after = rss_kib(server.pid)
        connected = len(latencies)
        result["members"] = {"joined": connected, "errors": errors, **summary(latencies)}
        result["idle_rss_per_connection_kib"] = round(
            (rss_after - rss_before) / max(1, connected), 1
        )
        result["daphne_rss_mib"] = round(rss_after / 1024, 1)

        # rate senders, one message a second each, evenly spread: sender k speaks at k/rate s.
        per_generator = max(1, int(args.rate) // GENERATORS)
        start_at = time.time() + 2.0
        cpu_start = cpu_secs(server.pid)
        for index, generator in enumerate(generators):
            offsets = [(index + k * GENERATORS) / args.rate for k in range(per_generator)]
            generator.ask("chat", offsets, args.chat_secs, start_at)
        chats = [generator.answer() for generator in generators]
        cpu_used = cpu_secs(server.pid) - cpu_start
        chat_latencies = [value for answer in chats for value in answer["latencies_ms"]]
        sent = sum(answer["sent"] for answer in chats)
        first = min(answer["first_sent"] for answer in chats if answer["first_sent"])
        last = max(answer["last_received"] for answer in chats)
        expected = sent * connected
        result["chat"] = {
            "messages_per_sec": args.rate,
            "sent": sent,
            "deliveries": len(chat_latencies),
            "expected_deliveries": expected,
            "lost": expected - len(chat_latencies),
            "deliveries_per_sec": round(len(chat_latencies) / max(0.001, last - first)),
            **summary(chat_latencies),
            "daphne_cpu_us_per_delivery": round(cpu_used / max(1, len(chat_latencies)) * 1e6, 1),
        }
        for generator in generators:
            generator.close()
        return result
    finally:
        server.stop()


def _py_spy(pid: int, directory: str, name: str) -> subprocess.Popen[bytes] | None:
    """py-spy recording daphne until SIGINT, or None without ``--py-spy``."""
    if not directory:
        return None
    Path(directory).mkdir(parents=True, exist_ok=True)
    # The virtualenv's, else the one on PATH (a py-spy installed apart from the venv).
    beside = Path(sys.executable).with_name("py-spy")
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"
    out = Path(directory) / f"{name}.txt"
    # --gil: samples of the thread holding the GIL only, i.e. where the one core goes.
    command = [py_spy, "record", "--gil", "--pid", str(pid), "--format", "raw", "-o", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # attached before the first join
    return process


def table(results: list[dict[str, Any]]) -> str:
    """The Markdown table of docs/benchmarks.md's Signaling section."""

    def row(label: str, cell: Callable[[dict[str, Any]], str]) -> str:
        """One line: ``label``, then ``cell`` of each layer's results."""
        first = f"| {label} | " if label else "| | "
        return first + " | ".join(cell(r) for r in results) + " |"

    def ms(measure: dict[str, Any], *quantiles: str) -> str:
        return " / ".join(str(measure[quantile]) for quantile in quantiles) + " ms"

    rows = [
        row("", lambda r: "InMemory" if r["layer"] == "memory" else "Redis (pub/sub fan-out)"),
        "|---" * (len(results) + 1) + "|",
        row(
            "500 joins within 5 s, open → welcome p50 / p95 / p99",
            lambda r: (
                ms(r["join_paced"], "p50", "p95", "p99") + f" ({r['join_paced']['errors']} errors)"
            ),
        ),
        row("500 joins at once, p50 / p99", lambda r: ms(r["join_burst"], "p50", "p99")),
        row(
            "1,000 members joined (100/s), p99",
            lambda r: f"{r['members']['p99']} ms, {r['members']['errors']} errors",
        ),
        row(
            "chat into 1,000 members at 10 msg/s: p50 / p95 / p99",
            lambda r: ms(r["chat"], "p50", "p95", "p99"),
        ),
        row(
            "deliveries per second (lost)",
            lambda r: f"{r['chat']['deliveries_per_sec']:,} ({r['chat']['lost']})",
        ),
        row("daphne CPU per delivery", lambda r: f"{r['chat']['daphne_cpu_us_per_delivery']} µs"),
        row("RSS per idle connection", lambda r: f"{r['idle_rss_per_connection_kib']} KiB"),
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--layers", default="memory,redis")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--joiners", type=int, default=500)
    parser.add_argument("--chat-secs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="100 members, 50 joiners, 5 s of chat")
    parser.add_argument("--only", default=",".join(PHASES), help="phases to run, comma-separated")
    parser.add_argument("--py-spy", default="", help="record daphne's paced joins into DIR")
    parser.add_argument(
        "--processes", default="", help="N,M,…: the cross-process run (signaling_processes.py)"
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sigbench_db")
    parser.add_argument("--generators", type=int, default=4, help="load-generator processes")
    parser.add_argument("--member-rate", type=float, default=40.0, help="members joining a second")
    args = parser.parse_args()
    if args.processes:
        main_processes(args)
        return
    args.only = set(args.only.split(","))
    if not args.only <= set(PHASES):
        parser.error(f"--only takes {', '.join(PHASES)}")
    if args.quick:
        args.members, args.joiners, args.chat_secs = 100, 50, 5
    results = []
    for layer in args.layers.split(","):
        if layer == "redis" and not redis_answers(args.redis_url):
            print(f"skipping redis: {args.redis_url} does not answer", file=sys.stderr)
            continue
        print(f"== {layer}", file=sys.stderr, flush=True)
        results.append(run_layer(layer, args))
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    if args.only == set(PHASES):
        print(table(results))
    print(
        json.dumps(
            {
                "benchmark": "signaling",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "date": time.strftime("%Y-%m-%d"),
                "members": args.members,
                "joiners": args.joiners,
                "chat_secs": args.chat_secs,
                "results": results,
            }
        )
    )


def main_processes(args: argparse.Namespace) -> None:
    """The cross-process run (bench/signaling_processes.py); the last line is its JSON."""
    from bench import signaling_processes

    if not redis_answers(args.redis_url):
        sys.exit(f"the cross-process run needs Redis: {args.redis_url} does not answer")
    if not signaling_processes.database_answers(args.database_url):
        sys.exit(f"the cross-process run needs PostgreSQL: {args.database_url} does not answer")
    if args.quick:
        args.members, args.joiners, args.chat_secs = 200, 100, 5
    results = signaling_processes.main(args)
    print(
        json.dumps(
            {
                "benchmark": "signaling_processes",
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "date": time.strftime("%Y-%m-%d"),
                "members": args.members,
                "joiners": args.joiners,
                "rate": args.rate,
                "chat_secs": args.chat_secs,
                "generators": args.generators,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
