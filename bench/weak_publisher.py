"""A weak publisher (issue 13): what the others receive of it, and of each other.

    .venv/bin/python -m bench.weak_publisher [--window 30] [--uplink 300] [--small-tiles 1]

Also run by ``bench/weaklinks.py`` after its own steps. A real meet process (embedded:
SQLite, the worker in-process) and headless Chromium whose fake camera films a busy
picture (tests/e2e/weak_publisher.py: the built-in one needs only ~190 kbit/s): two clean
pages and one whose uplink to the worker crosses a ``tests.impair`` relay limited to
``--uplink`` kbit/s (its downlink clean); every tile large (high layers on a good
link; ``--small-tiles 1``: the first clean page's are small, so the weak page sends
both its layers). Three windows of ``--window`` seconds, from the clean pages' ``getStats()``:

1. alone: the two clean pages before the weak one joins;
2. weak uplink: the weak page in (after ``SETTLE_SECS``);
3. clean link: the same call once the weak page's uplink is unlimited (after
   ``WIDEN_SETTLE_SECS``), the reference for "nobody else's video suffers".

Printed for each: the weak publisher's audio (percent of samples concealed) and video
(fps, kbit/s, decoded width) as the clean pages received them, the clean publishers'
videos at each other (fps, kbit/s, width, and their audio concealed), what the weak
page's camera sender did (width, fps, target, Chromium's uplink estimate, why limited)
and the relay's counters; then one JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import tempfile
import time
from collections.abc import Generator
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from playwright.sync_api import BrowserContext, sync_playwright

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, serve
from tests.e2e.weak import SERVER_ENV, relay_loop
from tests.e2e.weak_publisher import (
    CLEAN_USERS,
    UPLINK_KBPS,
    WEAK_NAME,
    Phase,
    PublisherRun,
    busy_camera,
    camera_args,
    run,
)


@dataclass
class Figures:
    """One phase's figures, averaged over the clean pages."""

    phase: str
    weak_concealed_percent: float | None
    weak_fps: float | None
    weak_kbps: float | None
    weak_width: int | None
    others_concealed_percent: float | None
    others_fps: float | None
    others_kbps: float | None
    others_width: int | None
    weak_senders: dict[str, Any]  # the weak page's active video senders at the window's end
    weak_available_kbps: int | None
    uplink_dropped: int | None  # packets the weak uplink's queue dropped in the window


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def figures(phase: Phase) -> Figures:
    """Average what each clean page received in ``phase``."""
    pages = range(len(phase.seen))
    weak = [phase.video(page, WEAK_NAME) for page in pages if WEAK_NAME in phase.seen[page].fps]
    voices = [phase.voice(page, WEAK_NAME) for page in pages]
    others = [
        phase.video(page, name)
        for page in pages
        for name in phase.seen[page].fps
        if name != WEAK_NAME
    ]
    other_voices = [
        percent
        for page in pages
        for name, percent in phase.seen[page].concealed_by_name.items()
        if name != WEAK_NAME
    ]
    sent = phase.weak_sent or {}
    cameras = {mid: v for mid, v in (sent.get("videos") or {}).items() if v.get("active")}
    return Figures(
        phase=phase.name,
        weak_concealed_percent=_mean([v for v in voices if v is not None]),
        weak_fps=_mean([v.fps for v in weak]),
        weak_kbps=_mean([v.kbps for v in weak]),
        weak_width=min((v.width for v in weak), default=None),
        others_concealed_percent=_mean(other_voices),
        others_fps=_mean([v.fps for v in others]),
        others_kbps=_mean([v.kbps for v in others]),
        others_width=min((v.width for v in others), default=None),
        weak_senders=cameras,
        weak_available_kbps=sent.get("availableKbps"),
        uplink_dropped=(
            phase.uplink.dropped_queue + phase.uplink.dropped_loss if phase.uplink else None
        ),
    )


def _cell(value: float | int | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def table(rows: list[Figures]) -> list[str]:
    """The figures as a Markdown table, plus the weak page's sender per phase."""
    lines = [
        "| phase | weak: audio concealed | weak: video fps | weak: kbit/s | weak: width | "
        "others: audio concealed | others: video fps | others: kbit/s | others: width |",
        "|" + "---|" * 9,
    ]
    for row in rows:
        lines.append(
            f"| {row.phase} | {_cell(row.weak_concealed_percent, ' %')} | "
            f"{_cell(row.weak_fps)} | {_cell(row.weak_kbps)} | {_cell(row.weak_width)} | "
            f"{_cell(row.others_concealed_percent, ' %')} | {_cell(row.others_fps)} | "
            f"{_cell(row.others_kbps)} | {_cell(row.others_width)} |"
        )
    lines.append("")
    for row in rows:
        if row.weak_available_kbps is None:
            continue
        layers = "; ".join(
            f"m-line {mid}: {v['width']} px wide, {v['fps']} fps, target {v['targetKbps']} "
            f"kbit/s (limited by {v['limit'] or 'nothing'})"
            for mid, v in row.weak_senders.items()
        )
        lines.append(
            f"{row.phase}: the weak page's active video senders: {layers or 'none'}; its "
            f"uplink estimate {_cell(row.weak_available_kbps)} kbit/s; the relay dropped "
            f"{_cell(row.uplink_dropped)} packets"
        )
    return lines


def _close_all(contexts: list[BrowserContext]) -> None:
    for context in contexts:
        context.close()


def _run(
    window_secs: float, uplink_kbps: float, keep_logs: str | None, small_tiles: int
) -> PublisherRun:
    with ExitStack() as stack:
        var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="meet-weakpub-")))
        clip = busy_camera(var_dir / "busy.y4m")
        server = cast(
            Generator[str, None, None],
            serve(f"sqlite:///{var_dir / 'meet.sqlite3'}", var_dir, **SERVER_ENV),
        )
        url = next(server)
        stack.callback(server.close)
        if keep_logs:
            keep = Path(keep_logs) / "server-weak-publisher.log"
            stack.callback(lambda: keep.write_bytes((var_dir / "server.log").read_bytes()))
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *camera_args(clip)]
        )
        stack.callback(browser.close)
        loop = stack.enter_context(relay_loop())
        contexts: list[BrowserContext] = []
        stack.callback(_close_all, contexts)
        return run(
            browser,
            url,
            loop,
            contexts,
            window_secs=window_secs,
            uplink_kbps=uplink_kbps,
            alone=True,
            small_tiles=small_tiles,
        )


def step(args: argparse.Namespace) -> dict[str, Any]:
    """The weak-publisher step: run it, print the table and a JSON line, return the JSON.

    ``args``: ``window`` (seconds), optionally ``uplink`` (kbit/s) and ``keep_logs``."""
    started = time.monotonic()
    window_secs = float(args.window)
    uplink_kbps = float(getattr(args, "uplink", UPLINK_KBPS))
    small_tiles = int(getattr(args, "small_tiles", 0))
    result = _run(window_secs, uplink_kbps, getattr(args, "keep_logs", None), small_tiles)
    phases = [p for p in (result.alone, result.weak, result.clean_link) if p is not None]
    rows = [figures(p) for p in phases]
    print(
        f"\nWeak publisher: uplink {uplink_kbps:g} kbit/s, {len(CLEAN_USERS)} clean pages "
        f"({small_tiles} with small tiles), {window_secs:g}-s windows"
    )
    print("\n".join(table(rows)))
    print(f"states told to the weak page: {' '.join(result.told_weak) or '—'}")
    for i, told in enumerate(result.told_clean):
        print(f"states told to clean page {i + 1}: {' '.join(told) or '—'}")
    load = os.getloadavg()
    print(f"{time.monotonic() - started:.0f} s; load average {load[0]:.1f}")
    out = {
        "bench": "weak_publisher",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load": round(load[0], 1),
        },
        "uplink_kbps": uplink_kbps,
        "small_tiles": small_tiles,
        "window_secs": window_secs,
        "phases": [asdict(row) for row in rows],
        "told_weak": result.told_weak,
        "told_clean": result.told_clean,
        "connections": result.connections,
    }
    print(json.dumps(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--uplink", type=float, default=UPLINK_KBPS, help="kbit/s")
    parser.add_argument("--keep-logs", help="copy the server log into this folder")
    parser.add_argument(
        "--small-tiles", type=int, default=0, choices=(0, 1), help="clean pages with small tiles"
    )
    step(parser.parse_args())


if __name__ == "__main__":
    main()
