"""Opus parameters the worker asks browsers for ("Audio first", issue 13).

The worker forwards Opus without re-encoding, so each browser's own encoder decides
whether packets carry in-band FEC (LBRR) and whether silence is sent as DTX. A
browser configures its sender from the fmtp of the *remote* description, which for
every browser is the worker's answer. aiortc builds that answer's codecs from its
module-level ``CODECS`` table (its opus entry has no parameters), and
``setCodecPreferences`` can only pick among those entries, so the worker gives the
table's opus entry the parameters once, before any connection answers.
"""

from __future__ import annotations

from aiortc.codecs import CODECS

from mediaworker.rtp import OPUS

# minptime=10 matches Chromium's own offer; mono voice (no stereo=1): classrooms
# speak, and mono halves the bitrate FEC has to fit in.
OPUS_PARAMETERS: dict[str, int] = {"minptime": 10, "useinbandfec": 1, "usedtx": 1}


def negotiate_opus() -> None:
    """Make every later answer or offer of this process carry OPUS_PARAMETERS for opus."""
    for codec in CODECS["audio"]:
        if codec.mimeType.lower() == OPUS:
            codec.parameters.update(OPUS_PARAMETERS)
