"""The HLS benchmark's presenter: its own process, an aiortc peer sending the clip.

    python -m bench.hls_publisher REDIS_URL ROOM

Joins ROOM through the media worker's channel (Redis), publishes the pre-encoded
H.264 clip (bench/hls_media.py) and a tone, prints ``started <unix time>`` once
frame 0 went out, then ``stats <json>`` whenever a line arrives on stdin, and
leaves at end of input.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
from typing import Any

from aiortc import RTCRtpSender

from bench.fanout_clients import Peer, _layer
from bench.fanout_media import ClipTrack
from bench.hls_media import ToneTrack, encode_clip
from bench.worker import SOLO_CHANNEL
from mediaworker.forwarding import on_keyframe_request
from mediaworker.ice import use_host_addresses


def _cpu_secs() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def publish(redis_url: str, room: str) -> None:
    """Publish until stdin closes."""
    stream, keyframes = encode_clip()
    layer = _layer(redis_url)
    peer = Peer(layer, room, "presenter", SOLO_CHANNEL)
    track = ClipTrack(stream, keyframes)
    video = peer.pc.addTransceiver(track, direction="sendonly")
    h264 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/H264"]
    video.setCodecPreferences(h264)
    on_keyframe_request(video.sender, track.request_keyframe)
    peer.pc.addTransceiver(ToneTrack(), direction="sendonly")
    tracks: list[dict[str, Any]] = [
        {"index": 0, "kind": "video", "source": "camera", "active": True},
        {"index": 1, "kind": "audio", "source": "mic", "active": True},
    ]
    await peer.negotiate(tracks, role="host")  # the recording takes a host's media
    while track.started is None:
        await asyncio.sleep(0.05)
    print(f"started {track.started!r}", flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        stats = {"keyframes": track.keyframes_sent, "late": track.late, "cpu": _cpu_secs()}
        print(f"stats {json.dumps(stats)}", flush=True)
    await peer.leave()


if __name__ == "__main__":
    use_host_addresses(["127.0.0.1"], loopback=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")
    asyncio.run(publish(sys.argv[1], sys.argv[2]))
