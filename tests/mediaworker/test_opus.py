"""The worker's answers ask browsers for Opus in-band FEC and DTX ("Audio first", issue 13).

Real aiortc participants against the real worker: every audio section of the answer
(the microphone the worker receives and the audio slots it sends) names opus with
useinbandfec=1 and usedtx=1, and audio still flows between the two participants.
"""

from __future__ import annotations

import asyncio

from aiortc.sdp import SessionDescription

from mediaworker.audio import OPUS_PARAMETERS


def opus_parameters(sdp: str) -> list[dict[str, int | str | None]]:
    """The opus fmtp parameters of every audio section of ``sdp``."""
    found: list[dict[str, int | str | None]] = []
    for media in SessionDescription.parse(sdp).media:
        if media.kind == "audio":
            opus = [c for c in media.rtp.codecs if c.mimeType.lower() == "audio/opus"]
            assert opus, f"an audio section without opus:\n{sdp}"
            found.append(dict(opus[0].parameters))
    return found


async def test_the_answer_asks_for_inband_fec_and_dtx_and_audio_flows(participant) -> None:
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    for client in (a, b):
        answer = client.pc.remoteDescription
        assert answer is not None and answer.type == "answer"
        assert "useinbandfec=1" in answer.sdp and "usedtx=1" in answer.sdp
        sections = opus_parameters(answer.sdp)
        assert len(sections) == 1 + client.slot_counts["audio"]  # mic + audio slots
        for parameters in sections:
            # aiortc's parser turns some values into ints and leaves others as text
            assert str(parameters.get("useinbandfec")) == "1"
            assert str(parameters.get("usedtx")) == "1"
            assert str(parameters.get("stereo", "0")) == "0"  # mono voice
    await b.wait_for(lambda: b.frames_from("a", "mic") >= 5)
    await a.wait_for(lambda: a.frames_from("b", "mic") >= 5)
    assert a.errors == [] and b.errors == []
    assert OPUS_PARAMETERS == {"minptime": 10, "useinbandfec": 1, "usedtx": 1}
