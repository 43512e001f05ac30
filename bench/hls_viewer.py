"""bench/hls.py's public viewer over WebRTC: its own process, like the watch page's offer.

    python -m bench.hls_viewer REDIS_URL ROOM STARTED SECS

Joins the broadcast in ROOM as a viewer (one program video slot, three audio slots,
``viewer: true``), decodes the program for SECS seconds and reads each frame's number
(bench/hls_media.py), so with STARTED (when the presenter's frame 0 was due) it knows
when the frame was sent. Prints one JSON line: the time from offer to the first decoded
frame and the glass-to-glass latency of every decoded frame (decode time − send time).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

from aiortc.mediastreams import MediaStreamError

from bench.fanout_clients import Peer, _layer
from bench.hls import sent_at
from bench.hls_media import read_mark
from bench.worker import SOLO_CHANNEL
from mediaworker.ice import use_host_addresses


async def watch(redis_url: str, room: str, started: float, secs: float) -> dict[str, float]:
    use_host_addresses(["127.0.0.1"], loopback=True)
    peer = Peer(_layer(redis_url), room, "bench-viewer", SOLO_CHANNEL)
    video = peer.pc.addTransceiver("video", direction="recvonly")
    for _ in range(3):
        peer.pc.addTransceiver("audio", direction="recvonly")
    tracks = [{"index": 0, "kind": "video", "slot": "program"}]
    tracks += [{"index": i, "kind": "audio", "slot": "audio"} for i in (1, 2, 3)]
    offered = time.time()
    await peer.negotiate(tracks, viewer=True)
    latencies: list[float] = []
    first = 0.0
    until = time.time() + secs
    try:
        while time.time() < until:
            frame = await asyncio.wait_for(video.receiver.track.recv(), 10)
            now = time.time()
            first = first or now - offered
            latencies.append(now - sent_at(read_mark(frame), started, now))  # type: ignore[arg-type]
    except (MediaStreamError, TimeoutError):
        pass
    finally:
        await peer.leave()
    latencies.sort()
    return {
        "webrtc_first_frame_secs": round(first, 3),
        "webrtc_frames": len(latencies),
        "webrtc_latency_secs_mean": round(statistics.fmean(latencies), 3) if latencies else -1,
        "webrtc_latency_secs_p95": round(latencies[int(len(latencies) * 0.95)], 3)
        if latencies
        else -1,
    }


if __name__ == "__main__":
    url, room, started, secs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(asyncio.run(watch(url, room, started, secs))), flush=True)
