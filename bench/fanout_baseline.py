"""The baseline to beat: aiortc's MediaRelay, one decoder and one encoder per viewer.

    .venv/bin/python -m bench.fanout_baseline REDIS_URL CHANNEL

Speaks just enough of the media worker's wire protocol (rtc.offer -> rtc.answer) on
its own channel for bench/fanout.py's publisher and viewers to use it unchanged: the
publisher's track is decoded once and relayed to each viewer, whose sender encodes it
again (aiortc's default path for a decoded track).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy

from mediaworker.ice import use_host_addresses


async def serve(redis_url: str, channel: str) -> None:
    from channels_redis.core import RedisChannelLayer

    host = {"address": redis_url, "max_connections": 1000, "socket_timeout": 30}
    layer = RedisChannelLayer(hosts=[host])
    relay = MediaRelay()
    published: asyncio.Future[MediaStreamTrack] = asyncio.get_running_loop().create_future()
    connections: dict[str, RTCPeerConnection] = {}

    async def offer(message: dict[str, Any]) -> None:
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        connections[message["peer"]] = pc

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if not published.done():
                published.set_result(track)

        await pc.setRemoteDescription(RTCSessionDescription(message["signal"]["sdp"], "offer"))
        for transceiver in pc.getTransceivers():
            if transceiver.direction == "recvonly" and transceiver._offerDirection == "sendonly":
                transceiver.direction = "sendonly"
                transceiver.sender.replaceTrack(relay.subscribe(await published))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = {"type": "rtc.answer", "sdp": pc.localDescription.sdp}
        await layer.send(
            message["reply"], {"type": "media.signal", "peer": message["peer"], "signal": answer}
        )

    print("baseline MediaRelay server ready", flush=True)
    while True:
        message = await layer.receive(channel)
        if message["type"] == "media.signal" and message["signal"]["type"] == "rtc.offer":
            asyncio.ensure_future(offer(message))
        elif message["type"] == "media.control" and message.get("action") == "leave":
            pc = connections.pop(message["peer"], None)
            if pc is not None:
                asyncio.ensure_future(pc.close())


if __name__ == "__main__":
    use_host_addresses(["127.0.0.1"], loopback=True)
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
