"""HLS benchmark: the cost of recording one presenter, glass-to-glass latency, finalising.

    .venv/bin/python -m bench.hls [--window 20] [--hour-secs 3600] [--quick]

Needs Redis (``--redis``, default redis://127.0.0.1:6379/13; the database is flushed).
Processes: the media worker (``meet media``, as deployed, recordings in a temporary
directory) and a presenter (bench/hls_publisher.py) sending a pre-encoded 640×360
30 fps ~1.5 Mbps H.264 clip and an Opus tone, so neither side's encoder runs on the
worker. This process is the HLS client.

1. **CPU.** The worker process's own user + system time (/proc/<pid>/stat) over
   ``--window`` seconds with the presenter publishing and no recording, then the same
   while recording (frames assembled, H.264 copied, Opus decoded, mixed, AAC, HLS
   written). The difference, as a share of one core, is the cost of the recorder.
2. **Glass-to-glass latency.** Every clip frame shows its number (bench/hls_media.py),
   and the presenter prints when frame 0 was due, so the send time of any frame is
   known. The client polls ``index.m3u8`` every 100 ms, as a player at the live edge
   would; when a segment appears it reads the segment, decodes its first frame and
   reads the number. Latency at the edge = when the segment appeared − when its
   first frame was sent: what a player shows if it plays each segment as soon as it
   is listed (hls.js ``liveSyncDurationCount: 1``). A player holding back D seconds
   from the end of the playlist adds D − one segment: reported for hls.js's default
   hold-back of 3 target durations.
3. **A public viewer over WebRTC** (bench/hls_viewer.py, its own process), after the
   CPU window, during the same broadcast: time from its offer to the first decoded
   program frame, and glass-to-glass latency of every frame it decodes (the same
   frame numbers). It is what the watch page's "low delay" mode gets.
4. **Finalising one hour.** A synthetic one-hour recording (bench/hls_synthetic.py:
   a 16-s clip muxed again and again with advancing timestamps through the same
   ``hls`` muxer settings) is finalised with ``mediaworker.recording.finalise``: remux
   into a faststart MP4 + poster.

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import av

from bench.fanout import CLK_TCK, flush_redis, proc_cpu_secs, stop_process, versions
from bench.hls_media import CLIP_FRAMES, FPS, read_mark
from bench.worker import SOLO_CHANNEL, start_worker
from mediaworker.recording.playlist import read_playlist
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import read_status

ROOT = Path(__file__).resolve().parent.parent
ROOM = "bench-hls"
SETTLE_SECS = 4
POLL_SECS = 0.1
REQUIRED_CPU, TARGET_CPU = 0.05, 0.02
REQUIRED_LATENCY, TARGET_LATENCY = 8.0, 3.0
REQUIRED_FINALISE, TARGET_FINALISE = 30.0, 10.0


def start_publisher(redis_url: str) -> tuple[subprocess.Popen[str], float]:
    """The presenter process and the wall-clock time its frame 0 was due."""
    publisher = subprocess.Popen(
        [sys.executable, "-m", "bench.hls_publisher", redis_url, ROOM],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert publisher.stdout is not None
    line = publisher.stdout.readline()
    if not line.startswith("started "):
        raise RuntimeError(f"presenter did not start: {line!r}")
    return publisher, float(line.split()[1])


def thread_cpu_secs(pid: int, prefix: str) -> float:
    """CPU seconds of a process's threads whose name starts with ``prefix``."""
    total = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().startswith(prefix):
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except OSError:
            continue
    return total


def publisher_stats(publisher: subprocess.Popen[str]) -> dict[str, Any]:
    assert publisher.stdin is not None and publisher.stdout is not None
    publisher.stdin.write("stats\n")
    publisher.stdin.flush()
    return dict(json.loads(publisher.stdout.readline().split(" ", 1)[1]))


def send_recording(redis_url: str, action: str, directory: Path) -> None:
    """A recording command on the worker's channel, as the portal sends it."""
    from channels_redis.core import RedisChannelLayer

    from mediaworker.wire import to_worker_recording

    message = to_worker_recording(
        room=ROOM,
        action=action,  # type: ignore[arg-type]
        recording=directory.name,
        directory=str(directory),
        broadcast=True,
    )
    layer = RedisChannelLayer(hosts=[{"address": redis_url}])
    asyncio.run(layer.send(SOLO_CHANNEL, message))


def sent_at(mark: int, started: float, seen: float) -> float:
    """When the presenter sent the latest frame with this loop position before ``seen``."""
    loops = int(((seen - started) * FPS - mark) // CLIP_FRAMES)
    return started + (mark + loops * CLIP_FRAMES) / FPS


def first_frame_mark(paths: RecordingPaths, segment: Path) -> int | None:
    data = paths.init_segment.read_bytes() + segment.read_bytes()
    with av.open(io.BytesIO(data), "r") as container:
        for frame in container.decode(video=0):
            return read_mark(frame)
    return None


def watch(paths: RecordingPaths, started: float, until: float) -> list[dict[str, float]]:
    """Poll the playlist like a live-edge player; one sample per new segment."""
    samples: list[dict[str, float]] = []
    known = len(read_playlist(paths.playlist).segments)
    while time.time() < until:
        segments = read_playlist(paths.playlist).segments
        appeared = time.time()
        for uri, seconds in segments[known:]:
            mark = first_frame_mark(paths, paths.hls_dir / uri)
            if mark is not None:
                latency = appeared - sent_at(mark, started, appeared)
                samples.append({"latency": latency, "segment": seconds})
        known = len(segments)
        time.sleep(POLL_SECS)
    return samples


def watch_webrtc(redis_url: str, started: float, secs: float) -> dict[str, Any]:
    """Run bench/hls_viewer.py for ``secs`` and return what it measured."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.hls_viewer", redis_url, ROOM, str(started), str(secs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=secs + 60,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the WebRTC viewer failed: {done.stderr[-2000:]}")
    return dict(json.loads(lines[-1]))


def measure_live(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    flush_redis(args.redis)
    # Recordings under ``root``, cut into segments of ``--segment`` seconds.
    worker = start_worker(
        args.redis, MEET_RECORDINGS_DIR=str(root), MEET_RECORDING_SEGMENT_SECS=str(args.segment)
    )
    publisher: subprocess.Popen[str] | None = None
    try:
        publisher, started = start_publisher(args.redis)
        time.sleep(SETTLE_SECS)
        cpu0 = proc_cpu_secs(worker.pid)
        time.sleep(args.window)
        idle = (proc_cpu_secs(worker.pid) - cpu0) / args.window

        directory = root / uuid.uuid4().hex
        paths = RecordingPaths(directory)
        send_recording(args.redis, "start", directory)
        deadline = time.time() + 30
        while not read_playlist(paths.playlist).segments and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(SETTLE_SECS)
        cpu0, t0 = proc_cpu_secs(worker.pid), time.time()
        thread0 = thread_cpu_secs(worker.pid, "rec-")
        samples = watch(paths, started, t0 + args.window)
        target_duration = read_playlist(paths.playlist).target_duration
        elapsed = time.time() - t0
        recording = (proc_cpu_secs(worker.pid) - cpu0) / elapsed
        thread = (thread_cpu_secs(worker.pid, "rec-") - thread0) / elapsed
        stats = publisher_stats(publisher)
        viewer = watch_webrtc(args.redis, started, args.window / 2)

        send_recording(args.redis, "stop", directory)
        stopped = time.time()
        while time.time() - stopped < 60:
            status = read_status(directory)
            if status is not None and status.state in ("ready", "failed"):
                break
            time.sleep(0.1)
        final = read_status(directory)
    finally:
        if publisher is not None:
            publisher.terminate()
            publisher.wait(10)
        stop_process(worker)
    latencies = [s["latency"] for s in samples]
    segment = statistics.fmean(s["segment"] for s in samples) if samples else 0.0
    target = target_duration  # what hls.js multiplies by liveSyncDurationCount
    edge = statistics.fmean(latencies) if latencies else float("inf")
    return {
        "worker_cpu_idle": round(idle, 4),
        "worker_cpu_recording": round(recording, 4),
        "recording_cpu_per_core": round(recording - idle, 4),
        "recorder_thread_cpu": round(thread, 4),
        "segments": len(samples),
        "segment_secs_mean": round(segment, 3),
        "latency_edge_secs_mean": round(edge, 3),
        "latency_edge_secs_max": round(max(latencies, default=float("inf")), 3),
        "target_duration_secs": target,
        "latency_holdback3_secs_mean": round(edge + 3 * target - segment, 3),
        **viewer,
        "presenter_keyframes": stats["keyframes"],
        "presenter_late_frames": stats["late"],
        "short_recording_state": final.state if final else "missing",
        "short_recording_secs": final.duration if final else 0.0,
    }


def measure_finalise(seconds: int, root: Path) -> dict[str, Any]:
    from bench.hls_synthetic import build_recording
    from mediaworker.recording.finalise import finalise

    directory = root / uuid.uuid4().hex
    started = time.monotonic()
    build_recording(directory, seconds)
    built = time.monotonic() - started
    started = time.monotonic()
    status = finalise(directory)
    took = time.monotonic() - started
    size = RecordingPaths(directory).mp4.stat().st_size if status.state == "ready" else 0
    shutil.rmtree(directory)
    return {
        "finalise_recording_secs": seconds,
        "finalise_secs": round(took, 2),
        "finalise_state": status.state,
        "finalise_mp4_mb": round(size / 1e6, 1),
        "finalise_duration_secs": status.duration,
        "build_secs": round(built, 1),
    }


def verdict(value: float, required: float, target: float) -> str:
    if value < 0:  # nothing was measured (no frame reached the viewer): never a pass
        return "FAILS (nothing measured)"
    return "target met" if value <= target else "required met" if value <= required else "FAILS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--segment", type=float, default=1.0)
    parser.add_argument("--hour-secs", type=int, default=3600)
    parser.add_argument("--quick", action="store_true", help="8-s window, 10-minute recording")
    args = parser.parse_args()
    if args.quick:
        args.window, args.hour_secs = min(args.window, 8.0), 600
    root = Path(tempfile.mkdtemp(prefix="meet-bench-hls-"))
    try:
        live = measure_live(args, root)
        final = measure_finalise(args.hour_secs, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    cpu = live["recording_cpu_per_core"]
    edge, held = live["latency_edge_secs_mean"], live["latency_holdback3_secs_mean"]
    took = final["finalise_secs"] * 3600 / args.hour_secs
    rows = [
        (
            "recording one 1.5 Mbps H.264 presenter, share of a core",
            f"{cpu:.2%}",
            "< 5%",
            "< 2%",
            verdict(cpu, REQUIRED_CPU, TARGET_CPU),
        ),
        (
            "glass-to-glass, player at the live edge (s)",
            f"{edge:.2f}",
            "<= 8",
            "<= 3",
            verdict(edge, REQUIRED_LATENCY, TARGET_LATENCY),
        ),
        (
            "glass-to-glass, hls.js default hold-back (s)",
            f"{held:.2f}",
            "<= 8",
            "<= 3",
            verdict(held, REQUIRED_LATENCY, TARGET_LATENCY),
        ),
        (
            "glass-to-glass, WebRTC viewer (s)",
            f"{live['webrtc_latency_secs_mean']:.2f}",
            "<= 8",
            "<= 3",
            verdict(live["webrtc_latency_secs_mean"], REQUIRED_LATENCY, TARGET_LATENCY),
        ),
        (
            "finalise one hour into MP4 (s)",
            f"{took:.1f}",
            "< 30",
            "< 10",
            verdict(took, REQUIRED_FINALISE, TARGET_FINALISE),
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'value':>8}  {'required':>8}  {'target':>8}  verdict")
    for name, value, required, target, outcome in rows:
        print(f"{name.ljust(width)}  {value:>8}  {required:>8}  {target:>8}  {outcome}")
    print(
        f"worker CPU without / with recording: {live['worker_cpu_idle']:.2%} / "
        f"{live['worker_cpu_recording']:.2%} of a core (the recorder's thread "
        f"{live['recorder_thread_cpu']:.2%}); {live['segments']} segments of "
        f"{live['segment_secs_mean']:.2f} s on average; edge latency max "
        f"{live['latency_edge_secs_max']:.2f} s; finalised {final['finalise_mp4_mb']} MB "
        f"({final['finalise_recording_secs']} s recorded) in {final['finalise_secs']} s; "
        f"WebRTC viewer: first frame {live['webrtc_first_frame_secs']:.2f} s after its offer, "
        f"latency p95 {live['webrtc_latency_secs_p95']:.2f} s over {live['webrtc_frames']} frames"
    )
    result = {
        "bench": "hls",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": versions(),
        "window_secs": args.window,
        **live,
        **final,
        "finalise_one_hour_secs": round(took, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
