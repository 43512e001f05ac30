"""Weak links (issue 13): one Chromium participant of /demo behind an impaired link.

    .venv/bin/python -m bench.weaklinks [--others 2] [--window 30] [--quick]

A real meet process (embedded: SQLite, the worker in-process), headless Chromium pages
with fake camera and microphone: ``--others`` clean participants (640×480, their tiles
small) and one weak one (1280×800 at two device pixels: its tiles are large, so on a
good link it gets the high layers) whose every packet crosses a ``tests.impair.UdpRelay``
both ways (tests/e2e/weak.py explains how the worker cannot bypass it). The same steps
run twice, with the layer machinery (default) and with ``MEET_MEDIA_LAYERS=off`` (the
worker forwards every high layer, budgets nothing, pauses nothing: the behaviour before
issue 13; the pages still publish their low layer):

1. weak: 500 kbit/s, 2 % loss, 150 ms each way; after ``SETTLE_SECS``, ``--window``
   seconds measured for every page: concealed audio, video fps and freeze time,
   received bitrate, and the bandwidth states the worker sent the weak page;
2. switch: the link at 2 Mbit/s (no loss, 20 ms) until the worker says "ok" (every
   large tile on its high layer); what the page then receives is measured for
   ``NEED_SECS`` (what its high layers need), and the link falls to ``NARROW_FRACTION``
   of that (a real fall, not a link a few percent short; the downlink only, so the
   page's reports still come back in time), then back to 2 Mbit/s. Each
   way, polled every ~0.15 s: seconds until the worker tells the page it stepped down
   (rtc.bandwidth leaves "ok") or up ("ok" again); seconds until the page decodes the
   other layer (the widest inbound video's frameWidth falls below, or comes back to,
   what it was at 2 Mbit/s: a Chromium short of CPU may send its high layer small, then
   "—"); the longest time any shown video decoded no new frame (a video the worker
   paused, its slot unnamed, is not frozen: the page shows the name) and the summed
   freeze time; and the keyframes the clean pages encoded meanwhile (Chromium sends
   none unless asked: the keyframe interval a receiver sees is the worker's answer
   to a request). Layers off never switches: "—";
3. cut: nothing passes either way for 20 s, then the link (2 Mbit/s) is back: seconds
   from its return until the weak page's inbound video frames grow again.

A step that fails (a page that does not join, a switch that never comes) is reported by
name in the table, and the run goes on. The figures of a loaded machine vary from run
to run; docs/benchmarks.md says on which machine these were measured. The last line is
one JSON object.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import tempfile
import time
import traceback
from collections.abc import Generator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from playwright.sync_api import Browser, Page, sync_playwright

from bench import weak_publisher
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, serve
from tests.e2e.weak import (
    SERVER_ENV,
    RelayLoop,
    WeakLink,
    Window,
    join,
    measure,
    new_page,
    put_behind,
    relay_loop,
    stats,
    wait_until,
    window,
)
from tests.impair import Impairment

USERS = ("admin", "giaovien1", "giaovien2")  # the clean ones; the weak one is:
WEAK_USER = "quanly.hanoi"
SETTLE_SECS = 10
CUT_SECS = 20
SWITCH_TIMEOUT_SECS = 20.0
BACK_TIMEOUT_SECS = 30.0
NEED_SECS = 5  # what the high layers need is measured this long
NARROW_FRACTION = 0.4  # of it, the narrowed link
NARROW_MIN_KBPS = 100  # never narrower: audio and a low layer may still fit
WATCH_DOWN_SECS = 12.0  # after the fall, how long the switch down is watched
NARROW_SECS = 15  # how long the link stays fallen (failed steps up happen meanwhile)
WATCH_UP_SECS = 20.0  # after the link is back, how long the switch up is watched
POLL_MS = 100


@dataclass
class Row:
    """One participant group's figures in one mode."""

    concealed_percent: float | None = None
    fps: float | None = None
    freeze_secs: float | None = None
    kbps_in: float | None = None


@dataclass
class Run:
    """One mode's figures; ``failed`` names the steps that did not complete."""

    layers: bool
    weak: Row = field(default_factory=Row)
    others: Row = field(default_factory=Row)
    states: list[str] = field(default_factory=list)
    others_states: list[list[str]] = field(default_factory=list)
    switch_down_secs: float | None = None  # the worker's news: rtc.bandwidth leaves "ok"
    switch_up_secs: float | None = None  # ... and says "ok" again
    page_down_secs: float | None = None  # the page decodes a narrower video
    page_up_secs: float | None = None  # ... and the wide one again
    longest_freeze_down_secs: float | None = None  # longest a shown video stood still
    longest_freeze_up_secs: float | None = None
    switch_freeze_secs: float | None = None  # summed over the videos, down and up again
    high_kbps: float | None = None  # what the weak page received at 2 Mbit/s, all "ok"
    narrow_kbps: float | None = None  # the fallen link
    keyframes: dict[str, float] = field(default_factory=dict)  # the clean pages' cadence
    widths: dict[str, int] = field(default_factory=dict)
    senders: list[dict[str, Any]] = field(default_factory=list)  # the others' video m-lines
    reconnect_secs: float | None = None
    relay: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def _row(windows: list[Window]) -> Row:
    concealed = [w.concealed_percent for w in windows if w.concealed_percent is not None]
    return Row(
        concealed_percent=round(sum(concealed) / len(concealed), 2) if concealed else None,
        fps=round(sum(w.mean_fps for w in windows) / len(windows), 1),
        freeze_secs=round(sum(w.freeze_secs for w in windows) / len(windows), 1),
        kbps_in=round(sum(w.kbps_in for w in windows) / len(windows)),
    )


def _state(page: Page) -> str:
    """The last rtc.bandwidth state the worker told the page ("ok" before any)."""
    told = stats(page)["bandwidth"]
    return str(told[-1]) if told else "ok"


def _widest(page: Page, now: dict[str, Any] | None = None) -> int:
    """The widest inbound video the page shows now (Chromium may scale a layer down
    when its sender is short of CPU, so this says what arrived, not which layer). A
    video the worker stopped keeps its last width: only named slots count."""
    videos = (now or stats(page))["videos"].values()
    return max((v["width"] for v in videos if v["name"]), default=0)


def _frames(page: Page) -> tuple[int, int]:
    now = stats(page)
    return now["pcs"], sum(v["frames"] for v in now["videos"].values())


def _frames_grow(page: Page) -> bool:
    """Whether the page decodes video frames within the next half second (on its newest
    connection: a new one counts once it has decoded any)."""
    before = _frames(page)
    page.wait_for_timeout(500)
    after = _frames(page)
    return after[1] > (before[1] if after[0] == before[0] else 0)


@dataclass
class Trace:
    """What the weak page saw after a change of its link (seconds from the change)."""

    state_at: float | None = None  # the worker's rtc.bandwidth reached the wanted state
    width_at: float | None = None  # the widest decoded video crossed the 2-Mbit/s width
    longest_freeze: float = 0.0  # the longest a shown video decoded no frame


def _trace(
    page: Page, secs: float, *, down: bool, wide: int, layers: bool, settle: float = 3.0
) -> Trace:
    """Poll ``page`` until both switches are seen (plus ``settle`` s) or ``secs`` pass.

    ``down``: the link fell (wait for a state other than "ok" and a narrower video);
    else it came back (wait for "ok" and the 2-Mbit/s width)."""
    trace = Trace()
    start = time.monotonic()
    progress: dict[str, tuple[int, float]] = {}  # mid -> (frames, when they last grew)
    done_at: float | None = None
    while True:
        now_stats = stats(page)
        now = time.monotonic() - start
        state = _state(page) if layers else "ok"
        if trace.state_at is None and layers and (state != "ok") == down:
            trace.state_at = now
        widest = _widest(page, now_stats)
        if trace.width_at is None and wide and widest and (widest < wide) == down:
            trace.width_at = now
        for mid, video in now_stats["videos"].items():
            frames, since = progress.get(mid, (-1, now))
            if not video["name"]:  # paused by the worker: the page shows the name
                progress[mid] = (video["frames"], now)
            elif video["frames"] != frames:
                progress[mid] = (video["frames"], now)
            else:
                trace.longest_freeze = max(trace.longest_freeze, now - since)
        seen = trace.width_at is not None and (trace.state_at is not None or not layers)
        if seen and done_at is None:
            done_at = now
        if now >= secs or (done_at is not None and now - done_at >= settle):
            return trace
        page.wait_for_timeout(POLL_MS)


@contextmanager
def _step(run: Run, name: str) -> Iterator[None]:
    try:
        yield
    except Exception as error:  # a benchmark near capacity reports, never crashes
        run.failed.append(f"{name}: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
        traceback.print_exc()


def one_run(browser: Browser, layers: bool, args: argparse.Namespace, loop: RelayLoop) -> Run:
    run = Run(layers=layers)
    with ExitStack() as stack:
        var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="meet-weak-")))
        env = {**SERVER_ENV, "MEET_MEDIA_LAYERS": "on" if layers else "off"}
        database = f"sqlite:///{var_dir / 'meet.sqlite3'}"
        server = cast(Generator[str, None, None], serve(database, var_dir, **env))
        url = next(server)
        stack.callback(server.close)
        if args.keep_logs:
            keep = Path(args.keep_logs) / f"server-layers-{'on' if layers else 'off'}.log"
            stack.callback(lambda: keep.write_bytes((var_dir / "server.log").read_bytes()))
        others: list[Page] = []
        for username in USERS[: args.others]:
            context, page = new_page(browser, url, viewport={"width": 640, "height": 480})
            stack.callback(context.close)
            others.append(page)
            with _step(run, f"join {username}"):
                join(page, username)
        context, weak = new_page(
            browser, url, viewport={"width": 1280, "height": 800}, device_scale_factor=2
        )
        stack.callback(context.close)
        bad = Impairment(rate_kbps=500, loss_percent=2, delay_ms=150)
        link: WeakLink = put_behind(context, loop, bad, Impairment(**asdict(bad)))
        stack.callback(link.close)
        with _step(run, "join the weak one"):
            join(weak, WEAK_USER)
        pages = [*others, weak]
        with _step(run, "weak link"):
            weak.wait_for_timeout(SETTLE_SECS * 1000)
            *seen, weak_seen = measure(pages, args.window)
            run.weak, run.others = _row([weak_seen]), _row(seen)
        with _step(run, "switch down"):
            _set(link, rate=2000, loss=0, delay=20)
            weak.wait_for_timeout(SETTLE_SECS * 1000)
            if layers and wait_until(lambda: _state(weak) == "ok", weak, BACK_TIMEOUT_SECS) is None:
                raise RuntimeError(f"not 'ok' at 2 Mbit/s but {_state(weak)!r}")
            *_, need = measure([weak], NEED_SECS)
            run.high_kbps = round(need.kbps_in)
            narrow = max(round(need.kbps_in * NARROW_FRACTION), NARROW_MIN_KBPS)
            run.narrow_kbps = narrow
            wide = run.widths["2 Mbit/s"] = _widest(weak)
            run.senders = [stats(page)["sent"] for page in others]
            before = stats(weak)
            keyframes_before = [stats(page)["keyframesOut"] for page in others]
            started = time.monotonic()
            _set_down(link, narrow)  # the subscriber's downlink: its feedback still flows
            fell = _trace(weak, WATCH_DOWN_SECS, down=True, wide=wide, layers=layers)
            run.switch_down_secs = _round(fell.state_at)
            run.page_down_secs = _round(fell.width_at)
            run.longest_freeze_down_secs = _round(fell.longest_freeze)
            weak.wait_for_timeout(max(NARROW_SECS - (time.monotonic() - started), 0) * 1000)
            run.widths["narrow"] = _widest(weak)
        with _step(run, "switch up"):
            _set_down(link, 2000)
            back = _trace(weak, WATCH_UP_SECS, down=False, wide=wide, layers=layers)
            run.switch_up_secs = _round(back.state_at)
            run.page_up_secs = _round(back.width_at)
            run.longest_freeze_up_secs = _round(back.longest_freeze)
            run.switch_freeze_secs = round(window(before, stats(weak)).freeze_secs, 1)
            secs = time.monotonic() - started
            encoded = [
                stats(p)["keyframesOut"] - k for p, k in zip(others, keyframes_before, strict=True)
            ]
            run.keyframes = {
                "secs": round(secs, 1),
                "per_publisher": round(sum(encoded) / max(len(encoded), 1), 1),
                "interval_secs": round(secs * len(encoded) / max(sum(encoded), 1), 1),
            }
        with _step(run, "cut"):
            weak.wait_for_timeout(5000)
            link.cut()
            weak.wait_for_timeout(CUT_SECS * 1000)
            link.restore()
            run.reconnect_secs = _round(
                wait_until(lambda: _frames_grow(weak), weak, BACK_TIMEOUT_SECS, step_ms=100)
            )
        with _step(run, "read"):
            run.states = list(stats(weak)["bandwidth"])
            run.others_states = [list(stats(page)["bandwidth"]) for page in others]
            up, down = link.counters()
            run.relay = {
                "answers": link.answers,
                "up_bytes": up.bytes_forwarded,
                "down_bytes": down.bytes_forwarded,
                "dropped_queue": up.dropped_queue + down.dropped_queue,
                "dropped_loss": up.dropped_loss + down.dropped_loss,
            }
    return run


def _set(link: WeakLink, *, rate: float, loss: float, delay: float) -> None:
    def change() -> None:
        for side in (link.up, link.down):
            side.rate_kbps, side.loss_percent, side.delay_ms = rate, loss, delay

    link.loop.call(change)


def _set_down(link: WeakLink, kbps: float) -> None:
    def change() -> None:
        link.down.rate_kbps = kbps

    link.loop.call(change)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _cell(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:g}{unit}"


def table(runs: list[Run]) -> list[str]:
    head = (
        "| mode | who | audio concealed | video fps | freeze s | kbit/s in | "
        "switch down s (worker / page) | switch up s (worker / page) | "
        "longest freeze down / up s | freeze in switches s | back after 20-s cut s |"
    )
    lines = [head, "|" + "---|" * 11]
    for run in runs:
        mode = "layers on" if run.layers else "layers off (MEET_MEDIA_LAYERS=off)"
        for who, row in (("weak", run.weak), ("others", run.others)):
            weak = who == "weak"
            lines.append(
                f"| {mode} | {who} | {_cell(row.concealed_percent, ' %')} | {_cell(row.fps)} | "
                f"{_cell(row.freeze_secs)} | {_cell(row.kbps_in)} | "
                + (
                    f"{_cell(run.switch_down_secs)} / {_cell(run.page_down_secs)} | "
                    f"{_cell(run.switch_up_secs)} / {_cell(run.page_up_secs)} | "
                    f"{_cell(run.longest_freeze_down_secs)} / "
                    f"{_cell(run.longest_freeze_up_secs)} | "
                    f"{_cell(run.switch_freeze_secs)} | {_cell(run.reconnect_secs)} |"
                    if weak
                    else "| | | | |"
                )
            )
    for run in runs:
        mode = "on" if run.layers else "off"
        lines.append("")
        lines.append(f"layers {mode}: states told to the weak page: {' '.join(run.states) or '—'}")
        for i, states in enumerate(run.others_states):
            told = " ".join(states) or "—"
            lines.append(f"layers {mode}: states told to clean page {i + 1}: {told}")
        lines.append(f"layers {mode}: relay {run.relay}")
        lines.append(f"layers {mode}: widest video the weak page decoded: {run.widths}")
        lines.append(
            f"layers {mode}: the weak page got {_cell(run.high_kbps)} kbit/s at 2 Mbit/s, "
            f"the link fell to {_cell(run.narrow_kbps)} kbit/s; clean pages' keyframes "
            f"{run.keyframes}"
        )
        for i, sent in enumerate(run.senders):
            lines.append(
                f"layers {mode}: clean page {i + 1} sends (mid: width, fps): "
                + ", ".join(
                    f"{mid}: {v['width']}, {v['fps']:g} {v['limit']}" for mid, v in sent.items()
                )
            )
        for failure in run.failed:
            lines.append(f"layers {mode}: FAILED step {failure}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--others", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--window", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="10-s window, layers on only")
    parser.add_argument("--keep-logs", help="copy each run's server log into this folder")
    args = parser.parse_args()
    if args.quick:
        args.window = min(args.window, 10.0)
    modes = (True,) if args.quick else (True, False)
    runs: list[Run] = []
    started = time.monotonic()
    with sync_playwright() as playwright, relay_loop() as loop:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for layers in modes:
            runs.append(one_run(browser, layers, args, loop))
        browser.close()
    print("\n".join(table(runs)))
    load = os.getloadavg()
    print(
        f"{args.others} clean + 1 weak Chromium; {time.monotonic() - started:.0f} s; "
        f"load average {load[0]:.1f}"
    )
    result = {
        "bench": "weaklinks",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load": round(load[0], 1),
        },
        "others": args.others,
        "window_secs": args.window,
        "runs": [asdict(run) for run in runs],
    }
    print(json.dumps(result))
    weak_publisher.step(args)


if __name__ == "__main__":
    main()
