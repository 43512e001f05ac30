"""Recording and HLS on the media worker, with real aiortc presenters over loopback.

The web side's commands go through the channel layer exactly as the portal sends
them (``wire.to_worker_recording``); what is checked is on disk — the HLS playlist
and segments, ``status.json``, the finished MP4 — decoded with PyAV.
"""

from __future__ import annotations

import asyncio
import io
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

from mediaworker.recording.playlist import read_playlist
from mediaworker.wire import MEDIA_WORKER_CHANNEL, to_worker_recording
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import RecordingStatus, read_status
from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient, PatternTrack

H264 = "video/H264"


async def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll ``predicate`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)
    return result


async def command(
    layer: Any, action: str, directory: Path, *, channel: str = MEDIA_WORKER_CHANNEL, **extra: Any
) -> None:
    """Send a recording command as the portal does (to ``channel``: the room's worker)."""
    message = to_worker_recording(
        room=extra.pop("room", "r"),
        action=action,  # type: ignore[arg-type]
        recording=directory.name,
        directory=str(directory),
        **extra,
    )
    await layer.send(channel, message)


def new_recording(root: Path) -> Path:
    return root / uuid.uuid4().hex


def segments(paths: RecordingPaths) -> list[Path]:
    return [paths.hls_dir / uri for uri, _ in read_playlist(paths.playlist).segments]


def decode_segment(paths: RecordingPaths, segment: Path) -> list[av.VideoFrame]:
    """Decode one media segment with the init segment in front, as a player would."""
    data = paths.init_segment.read_bytes() + segment.read_bytes()
    with av.open(io.BytesIO(data), "r") as container:
        return list(container.decode(video=0))


def ready(directory: Path) -> RecordingStatus | None:
    status = read_status(directory)
    return status if status is not None and status.state in ("ready", "failed") else None


def audio_peak(path: Path) -> float:
    """The loudest sample of the file's audio track (0..1)."""
    peak = 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            peak = max(peak, float(np.abs(frame.to_ndarray()).max()))
    return peak


def mp4_duration(path: Path) -> float:
    with av.open(str(path)) as container:
        assert container.duration is not None
        return container.duration / av.time_base


async def test_an_h264_presenter_is_recorded_as_hls_without_transcoding(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("a", camera=(320, 240), loud=True, video_codec=H264)
    viewer = participant("v", camera=None, mic=False)
    await asyncio.gather(presenter.join(), viewer.join())
    await viewer.wait_for(lambda: viewer.frames_from("a") >= 3)

    directory = new_recording(tmp_path)
    paths = RecordingPaths(directory)
    started = time.monotonic()
    await command(layer, "start", directory, broadcast=True)
    on = {"kind": "recording", "state": "on", "recording": directory.name, "broadcast": True}
    await viewer.wait_for(lambda: on in viewer.events and on in presenter.events)

    await wait_until(lambda: len(segments(paths)) >= 2)
    first = len(segments(paths))
    await wait_until(lambda: len(segments(paths)) >= first + 2)  # the playlist advances
    text = paths.playlist.read_text()
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in text and "#EXT-X-ENDLIST" not in text
    for segment in segments(paths)[-2:]:
        frames = decode_segment(paths, segment)
        assert frames and {(f.width, f.height) for f in frames} == {(320, 240)}
        assert frames[0].key_frame  # every segment starts on a keyframe
    recorder = worker.routers["r"].recorder
    assert recorder is not None and recorder.transcoders == 0
    status = read_status(directory)
    assert status is not None and status.state == "recording" and status.duration > 1
    assert status.video_codec == "h264" and not status.transcoded

    await wait_until(lambda: time.monotonic() - started > 5)
    await command(layer, "stop", directory)
    stopped = time.monotonic()
    off = {**on, "state": "off"}
    await viewer.wait_for(lambda: off in viewer.events)
    final = await wait_until(lambda: ready(directory), timeout=30)
    assert final.state == "ready", final.error
    assert final.transcoded is False and final.progress == 1.0
    assert "#EXT-X-ENDLIST" in paths.playlist.read_text()
    # The finished file: H.264 + AAC, as long as the broadcast (within a second).
    with av.open(str(paths.mp4)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
    assert abs(mp4_duration(paths.mp4) - (stopped - started)) < 1.0
    assert audio_peak(paths.mp4) > 0.1  # the presenter's tone, mixed in
    assert paths.poster.read_bytes()[:2] == b"\xff\xd8"  # a JPEG


async def test_a_vp8_presenter_is_transcoded_once(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("a", camera=(176, 144), video_codec="video/VP8")
    await presenter.join()
    await presenter.wait_for(
        lambda: {"kind": "connection", "state": "connected"} in presenter.events
    )
    directory = new_recording(tmp_path)
    paths = RecordingPaths(directory)
    await command(layer, "start", directory)
    await wait_until(lambda: len(segments(paths)) >= 2)
    status = read_status(directory)
    assert status is not None and status.transcoded and status.video_codec == "vp8"
    recorder = worker.routers["r"].recorder
    assert recorder is not None and recorder.transcoders == 1
    frames = decode_segment(paths, segments(paths)[-1])
    assert frames and {(f.width, f.height) for f in frames} == {(176, 144)}
    assert frames[0].key_frame

    await command(layer, "stop", directory)
    final = await wait_until(lambda: ready(directory), timeout=30)
    assert final.state == "ready" and final.transcoded
    with av.open(str(paths.mp4)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


async def test_the_program_switches_to_a_screen_share_at_a_keyframe(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("a", camera=(320, 240), video_codec=H264)
    await presenter.join()
    directory = new_recording(tmp_path)
    paths = RecordingPaths(directory)
    await command(layer, "start", directory)
    await wait_until(lambda: len(segments(paths)) >= 2)
    recorder = worker.routers["r"].recorder
    assert recorder is not None and recorder.video_key == "a/camera"

    await presenter.publish("screen", PatternTrack(640, 360))
    await wait_until(lambda: recorder.video_key == "a/screen")
    await command(layer, "chapter", directory, title="Phần 2", text="Tập huấn giáo viên")
    # The live room's slide changes name no recording: they go to the current one.
    await layer.send(
        MEDIA_WORKER_CHANNEL,
        to_worker_recording(
            room="r", action="chapter", recording="", directory="", title="Phần 3", text="STEM"
        ),
    )
    switched = len(segments(paths))
    await wait_until(lambda: len(segments(paths)) >= switched + 2)
    await command(layer, "stop", directory)
    final = await wait_until(lambda: ready(directory), timeout=30)
    assert final.state == "ready", final.error

    with av.open(str(paths.mp4)) as container:
        frames = [(f.width, f.height, f.key_frame) for f in container.decode(video=0)]
    sizes = [(w, h) for w, h, _ in frames]
    first_screen = sizes.index((640, 360))
    assert set(sizes[:first_screen]) == {(320, 240)}
    assert set(sizes[first_screen:]) == {(640, 360)}  # no way back, no mixed frames
    assert frames[first_screen][2]  # the switch happened at the screen's keyframe
    assert recorder.transcoders == 0
    assert [c.title for c in final.chapters] == ["Phần 2", "Phần 3"]
    assert 0 < final.chapters[0].start <= final.chapters[1].start < final.duration
    assert final.slide_text.split() == ["Tập", "huấn", "giáo", "viên", "STEM"]


async def test_a_recording_command_with_a_bad_directory_is_ignored(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("a")
    await presenter.join()
    message = to_worker_recording(
        room="r", action="start", recording="../../etc", directory=str(tmp_path / "x")
    )
    await layer.send(MEDIA_WORKER_CHANNEL, message)
    directory = new_recording(tmp_path)
    await command(layer, "start", directory)  # a good one after it still works
    await wait_until(lambda: read_status(directory) is not None)
    assert worker.routers["r"].recorder is not None
    assert worker.routers["r"].recorder.recording_id == directory.name
    assert not (tmp_path / "x").exists()


async def test_closing_the_room_finalises_its_recording(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("a", video_codec=H264)
    await presenter.join()
    directory = new_recording(tmp_path)
    await command(layer, "start", directory)
    await wait_until(lambda: len(segments(RecordingPaths(directory))) >= 2)
    await presenter.control("close_room")
    final = await wait_until(lambda: ready(directory), timeout=30)
    assert final.state == "ready" and RecordingPaths(directory).mp4.is_file()


async def test_the_recording_goes_on_while_the_presenter_reconnects(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    """A presenter's lost connection must not end the broadcast's recording (issue 5)."""
    first = participant("a", camera=(160, 120), video_codec=H264)
    await first.join()
    directory = new_recording(tmp_path)
    paths = RecordingPaths(directory)
    await command(layer, "start", directory, broadcast=True)
    await wait_until(lambda: len(segments(paths)) >= 2)
    await first.close()  # the room is empty now
    await asyncio.sleep(0.5)
    assert "r" in worker.routers and worker.routers["r"].recorder is not None

    again = participant("a2", camera=(160, 120), video_codec=H264)
    await again.join()
    on = {"kind": "recording", "state": "on", "recording": directory.name, "broadcast": True}
    await again.wait_for(lambda: on in again.events)  # a joiner sees the indicator
    before = len(segments(paths))
    await wait_until(lambda: len(segments(paths)) >= before + 2)
    await command(layer, "stop", directory)
    final = await wait_until(lambda: ready(directory), timeout=30)
    assert final.state == "ready", final.error


async def test_a_start_never_overwrites_an_unfinished_recording(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("a")
    await presenter.join()
    directory = new_recording(tmp_path)
    paths = RecordingPaths(directory)
    paths.hls_dir.mkdir(parents=True)
    paths.playlist.write_text("#EXTM3U\n#EXTINF:1.0,\nseg-00001.m4s\n")
    (paths.hls_dir / "seg-00001.m4s").write_bytes(b"a killed worker's segment")
    from mediaworker.wire.status import write_status

    write_status(directory, RecordingStatus(state="recording"))
    await command(layer, "start", directory)
    await command(layer, "chapter", directory, title="x")  # queued after the start
    await asyncio.sleep(0.5)
    assert worker.routers["r"].recorder is None
    assert (paths.hls_dir / "seg-00001.m4s").read_bytes() == b"a killed worker's segment"
