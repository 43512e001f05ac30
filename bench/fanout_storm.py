"""Join storms at 90 % load (issue 14, item 6): ``bench/fanout.py --storm``.

With the worker's audience at ``load`` (0.9) of the subscribers it held in the same run
once the storm is in, ``size`` (100) viewers send their offers at once. Each repetition
is a fresh worker, publisher and audience, the worker's modes taking turns so that all
see the same machine: ``on`` (this change), ``off`` (``MEET_MEDIA_ADMISSION=off``: every
handshake at once) and, with ``--storm-before``, ``before`` (also
``MEET_MEDIA_FANOUT_SLICES=off``: a publisher's backlog in one step, as before item 6).
A repetition holds when the publisher is still connected, every storm viewer was
answered and receives video, and every viewer (the audience and the storm) gets >= 29
fps afterwards. What the worker queued and how long
the queued handshakes waited on average come from its ``/metrics``
(``meet_media_handshake*``, before and after the storm); the viewers time their own
offer to answer (the longest is the last of the queue). A repetition that fails says
at which step (the audience's joins, the storm, the measurement after it) and why; it
never ends the run.
"""

from __future__ import annotations

import os
import socket
import statistics
import time
import urllib.request
from typing import Any

from bench.fanout import (
    MIN_FPS,
    SETTLE_SECS,
    VIEWER_PROCESSES,
    Child,
    flush_redis,
    measure,
    stop_process,
)
from bench.fanout_clients import JOIN_BATCH
from bench.worker import SOLO_CHANNEL, start_worker

AUDIENCE_CHUNK = 100  # the audience joins as the capacity steps do, a chunk at a time


class StepFailed(Exception):
    """A step of a repetition that did not hold (its message says why)."""


def free_port() -> int:
    """A TCP port free now on loopback (for the worker's /metrics)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def scrape(port: int) -> dict[str, float]:
    """The worker's ``meet_media_handshake*`` series."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        text = response.read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(("meet_media_handshake", "meet_media_event_loop")):
            name, _, value = line.partition(" ")
            values[name] = float(value)
    return values


def add(viewers: list[Child], count: int, at_once: int) -> dict[str, Any]:
    """``count`` more viewers over the viewer processes, ``at_once`` offers per process."""
    processes = len(viewers)
    per = [count // processes + (i < count % processes) for i in range(processes)]
    for child, n in zip(viewers, per, strict=True):
        child.conn.send(("add", n, at_once))
    answers = [child.wait(timeout=900) for child in viewers]
    failures = sorted({a["failure"] for a in answers if a.get("failure")})
    return {
        "failed": sum(a.get("failed_joins", 0) for a in answers),
        "without_video": sum(a["without_video"] for a in answers),
        "answer_secs": [s for a in answers for s in a.get("answer_secs", [])],
        "failure": failures[0] if failures else None,
    }


def min_fps(server_pid: int, viewers: list[Child], window: float) -> tuple[float, float]:
    """(the lowest viewer's fps, the worker's cores) over a window; measured twice if low."""
    cores, fps, _ = measure(server_pid, viewers, window)
    if not fps or min(fps) < MIN_FPS:  # the machine is shared: once more before saying so
        time.sleep(2)
        cores, fps, _ = measure(server_pid, viewers, window)
    return (round(min(fps), 1) if fps else 0.0), round(cores, 3)


# The worker's settings in each mode: what this change does, then without each part.
MODES = {
    "on": {},
    "off": {"MEET_MEDIA_ADMISSION": "off"},
    "before": {"MEET_MEDIA_ADMISSION": "off", "MEET_MEDIA_FANOUT_SLICES": "off"},
}


def storm_once(
    redis_url: str, *, audience: int, size: int, mode: str, window: float, rep: int
) -> dict[str, Any]:
    """One repetition: a fresh worker, its audience, then the storm; never raises."""
    row: dict[str, Any] = {"rep": rep, "mode": mode, "audience": audience, "storm": size}
    port = free_port()
    flush_redis(redis_url)
    settings = {"MEET_MEDIA_METRICS_PORT": str(port), **MODES[mode]}
    step = "worker start"
    children: list[Child] = []
    worker = None
    try:
        worker = start_worker(redis_url, **settings)
        step = "publisher"
        publisher = Child("publisher", redis_url, "bench", SOLO_CHANNEL)
        children.append(publisher)
        publisher.wait()
        viewers = [
            Child("viewers", redis_url, "bench", SOLO_CHANNEL, tag=f"s{mode}{rep}-{i}")
            for i in range(VIEWER_PROCESSES)
        ]
        children += viewers
        step = "audience"
        for start in range(0, audience, AUDIENCE_CHUNK):
            joined = add(viewers, min(AUDIENCE_CHUNK, audience - start), JOIN_BATCH)
            if joined["failed"]:
                raise StepFailed(f"{joined['failed']} joins failed ({joined['failure']})")
        time.sleep(SETTLE_SECS)
        step = "before the storm"
        row["min_fps_before"], row["cores_before"] = min_fps(worker.pid, viewers, window)
        if publisher.ask("stats", timeout=60)["state"] != "connected":
            raise StepFailed("publisher lost before the storm")
        counted = scrape(port)
        step = "storm"
        storm = add(viewers, size, size)  # every offer of the storm at once
        after = scrape(port)
        _storm_figures(row, storm, counted, after)
        time.sleep(SETTLE_SECS)
        step = "after the storm"
        row["min_fps_after"], row["cores_after"] = min_fps(worker.pid, viewers, window)
        stats = publisher.ask("stats", timeout=60)
        row["publisher"] = stats["state"]
        failures = []
        if stats["state"] != "connected":
            failures.append(f"publisher {stats['state']} (ICE {stats['ice']})")
        if storm["failed"]:
            failures.append(f"{storm['failed']} storm joins failed ({storm['failure']})")
        if storm["without_video"]:
            failures.append(f"{storm['without_video']} storm viewers without video")
        if row["min_fps_after"] < MIN_FPS:
            failures.append(f"min {row['min_fps_after']} fps")
        if failures:
            raise StepFailed("; ".join(failures))
        row["held"] = True
    except (StepFailed, TimeoutError, OSError, EOFError, RuntimeError) as exc:
        row["held"] = False
        row["failure"] = f"{step}: {exc}"
    finally:
        for child in reversed(children):
            child.stop()
        if worker is not None:
            stop_process(worker)
    row["load_average"] = round(os.getloadavg()[0], 2)
    print(f"[storm] {row}", flush=True)
    return row


def _storm_figures(
    row: dict[str, Any], storm: dict[str, Any], before: dict[str, float], after: dict[str, float]
) -> None:
    """What the storm's joins saw: queued, waits, answers."""
    queued = after.get("meet_media_handshakes_queued_total", 0.0) - before.get(
        "meet_media_handshakes_queued_total", 0.0
    )
    waited = after.get("meet_media_handshake_wait_seconds_total", 0.0) - before.get(
        "meet_media_handshake_wait_seconds_total", 0.0
    )
    answers = sorted(storm["answer_secs"])
    row.update(
        storm_failed=storm["failed"],
        storm_without_video=storm["without_video"],
        queued=int(queued),
        mean_wait_ms=round(waited * 1000 / queued) if queued else 0,
        peak_handshakes=int(after.get("meet_media_handshakes_peak", 0)),
        # The loop's longest stall so far, before the storm and after it.
        stall_s=(
            round(before.get("meet_media_event_loop_longest_lag_seconds", 0.0), 2),
            round(after.get("meet_media_event_loop_longest_lag_seconds", 0.0), 2),
        ),
        answer_p50_ms=round(statistics.median(answers) * 1000) if answers else None,
        answer_max_ms=round(answers[-1] * 1000) if answers else None,
    )


def _pair(values: Any) -> str:
    return "—" if not values else f"{values[0]} / {values[1]}"


def run_storms(
    redis_url: str,
    *,
    capacity: int,
    load: float,
    size: int,
    repeat: int,
    window: float,
    modes: tuple[str, ...] = ("on", "off"),
) -> list[dict[str, Any]]:
    """``repeat`` storms in each of ``modes``, taking turns (the same machine)."""
    audience = max(round(capacity * load) - size, 0)
    rows: list[dict[str, Any]] = []
    for rep in range(1, repeat + 1):
        for mode in modes:
            rows.append(
                storm_once(
                    redis_url,
                    audience=audience,
                    size=size,
                    mode=mode,
                    window=window,
                    rep=rep,
                )
            )
    return rows


def report_storms(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Print the storms' table; the summary for the JSON line."""
    print(
        "| worker | rep | audience + storm | min fps before | min fps after | publisher "
        "| storm joins failed / without video | queued | mean wait (ms) "
        "| offer to answer p50 / max (ms) | peak handshakes | longest loop stall before / "
        "after the storm (s) | load | |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        why = "held" if r["held"] else f"did not hold: {r['failure']}"
        print(
            f"| {r['mode']} | {r['rep']} | {r['audience']} + {r['storm']} "
            f"| {r.get('min_fps_before', '—')} | {r.get('min_fps_after', '—')} "
            f"| {r.get('publisher', '—')} "
            f"| {r.get('storm_failed', '—')} / {r.get('storm_without_video', '—')} "
            f"| {r.get('queued', '—')} "
            f"| {r.get('mean_wait_ms', '—')} "
            f"| {r.get('answer_p50_ms', '—')} / {r.get('answer_max_ms', '—')} "
            f"| {r.get('peak_handshakes', '—')} | {_pair(r.get('stall_s'))} "
            f"| {r['load_average']} | {why} |"
        )
    summary: dict[str, Any] = {}
    for mode in MODES:
        mine = [r for r in rows if r["mode"] == mode]
        if not mine:
            continue
        summary[f"mode_{mode}"] = {
            "repetitions": len(mine),
            "held": sum(r["held"] for r in mine),
            "publisher_kept": sum(r.get("publisher") == "connected" for r in mine),
            "failures": [r["failure"] for r in mine if not r["held"]],
        }
    return summary
