"""The media worker (aiortc SFU, recorder, HLS) and the public archive portal."""
