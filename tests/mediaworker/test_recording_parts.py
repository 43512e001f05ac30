"""The recorder's parts without peers: mixing, timing, bitstreams, the program,
the playlist, ownership, finalising a recording written by the real HLS writer."""

from __future__ import annotations

import fractions
import io
import subprocess
import sys
import uuid
from pathlib import Path

import av
import numpy as np
import pytest

from mediaworker.config import recordings_root, segment_secs
from mediaworker.recording.bitstream import (
    annexb_nal_units,
    h264_has_parameter_sets,
    h264_is_keyframe,
    vp8_is_keyframe,
)
from mediaworker.recording.finalise import (
    ConcatReader,
    RecordingBusy,
    finalise,
    finalise_orphans,
    remux,
)
from mediaworker.recording.hls import HlsWriter
from mediaworker.recording.items import ChapterMark, add_chapter
from mediaworker.recording.mixer import AudioMixer
from mediaworker.recording.ownership import OwnerLock
from mediaworker.recording.playlist import close_playlist, parse_playlist, read_playlist
from mediaworker.recording.program import choose_program
from mediaworker.recording.timeline import RtpAnchor
from mediaworker.wire import to_worker_recording
from mediaworker.wire.layout import RecordingPaths, is_recording_id, recording_dir
from mediaworker.wire.status import RecordingStatus, read_status, write_status
from tests.conftest import ROOT

# -- mixing ---------------------------------------------------------------------


def test_the_mixer_sums_places_and_clips() -> None:
    mixer = AudioMixer(block=4)
    mixer.add(0, np.array([0.5, 0.5, 0.5, 0.5], dtype=np.float32))
    mixer.add(2, np.array([0.75, 0.75, 0.1, 0.1], dtype=np.float32))
    blocks = mixer.take(8)
    assert [p for p, _ in blocks] == [0, 4]
    assert blocks[0][1].tolist() == pytest.approx([0.5, 0.5, 1.0, 1.0])  # 1.25 clipped
    assert blocks[1][1].tolist() == pytest.approx([0.1, 0.1, 0.0, 0.0])


def test_the_mixer_gives_silence_where_nobody_spoke_and_drops_late_audio() -> None:
    mixer = AudioMixer(block=4)
    assert [b.tolist() for _, b in mixer.take(8)] == [[0.0] * 4, [0.0] * 4]
    mixer.add(6, np.ones(4, dtype=np.float32))  # two samples too late
    assert mixer.late_samples == 2
    assert mixer.take(12)[0][1].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert mixer.take(11) == []  # only whole blocks


# -- timing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timestamps", "arrivals", "expected"),
    [
        # steady 20 ms audio packets arriving with jitter keep their RTP spacing
        ([1000, 1960, 2920], [1.0, 1.03, 1.035], [48000, 48960, 49920]),
        # RTP timestamps wrap around 2**32
        ([2**32 - 960, 0], [2.0, 2.02], [96000, 96960]),
        # a sender that paused for 5 s is anchored again at its arrival
        ([0, 960, 960 + 48000 * 60], [1.0, 1.02, 6.0], [48000, 48960, 288000]),
    ],
)
def test_rtp_timestamps_are_placed_on_the_program_timeline(
    timestamps: list[int], arrivals: list[float], expected: list[int]
) -> None:
    anchor = RtpAnchor(48000)
    assert [anchor.place(ts, at) for ts, at in zip(timestamps, arrivals, strict=True)] == expected


# -- bitstreams -----------------------------------------------------------------

SPS, PPS, IDR, SLICE = b"\x67\x42\x00\x1f", b"\x68\xce", b"\x65\x88\x84", b"\x41\x9a"


def annexb(*units: bytes) -> bytes:
    return b"".join(b"\x00\x00\x00\x01" + u for u in units)


def test_annexb_units_and_keyframes() -> None:
    key = annexb(SPS, PPS, IDR)
    assert list(annexb_nal_units(key)) == [SPS, PPS, IDR]
    assert list(annexb_nal_units(b"\x00\x00\x01" + SLICE)) == [SLICE]
    assert h264_is_keyframe(key) and h264_has_parameter_sets(key)
    assert h264_is_keyframe(annexb(IDR)) and not h264_has_parameter_sets(annexb(IDR))
    assert not h264_is_keyframe(annexb(SLICE))
    assert vp8_is_keyframe(b"\x10\x02\x00\x9d\x01\x2a") and not vp8_is_keyframe(b"\x11")
    assert not vp8_is_keyframe(b"")


# -- the program ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cameras", "screens", "dominant", "current", "expected"),
    [
        (["a/camera", "b/camera"], [], None, None, "a/camera"),  # first by join order
        (["a/camera", "b/camera"], [], "b", "a/camera", "b/camera"),  # the speaker
        (["a/camera", "b/camera"], [], "c", "b/camera", "b/camera"),  # keep what is shown
        (["a/camera"], ["b/screen"], "a", "a/camera", "b/screen"),  # a share wins
        (["a/camera"], ["b/screen", "c/screen"], None, "c/screen", "c/screen"),  # kept
        ([], [], "a", "a/camera", None),  # nothing to show
    ],
)
def test_the_program_follows_shares_then_the_speaker(
    cameras: list[str], screens: list[str], dominant: str | None, current: str | None, expected: str
) -> None:
    assert (
        choose_program(cameras=cameras, screens=screens, dominant=dominant, current=current)
        == expected
    )


# -- the playlist, layout, settings, wire --------------------------------------------

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-MAP:URI="init.mp4"
#EXTINF:1.000000,
seg-00001.m4s
#EXTINF:1.500000,
seg-00002.m4s
#EXTINF:not a number,
seg-00003.m4s
"""


def test_the_playlist_is_read_and_closed_once(tmp_path: Path) -> None:
    parsed = parse_playlist(PLAYLIST)
    assert parsed.init == "init.mp4" and not parsed.ended and parsed.target_duration == 2
    assert parsed.segments == [("seg-00001.m4s", 1.0), ("seg-00002.m4s", 1.5)]
    assert parsed.duration == 2.5
    path = tmp_path / "index.m3u8"
    path.write_text(PLAYLIST)
    assert close_playlist(path) and not close_playlist(path)
    assert read_playlist(path).ended and path.read_text().count("#EXT-X-ENDLIST") == 1
    assert read_playlist(tmp_path / "missing.m3u8").segments == []


def test_recording_directories_are_named_by_unguessable_ids(tmp_path: Path) -> None:
    good = uuid.uuid4().hex
    assert is_recording_id(good) and recording_dir(tmp_path, good) == tmp_path / good
    for bad in ("../etc", "ABC", good.upper(), good[:-1], ""):
        assert not is_recording_id(bad)
        with pytest.raises(ValueError):
            recording_dir(tmp_path, bad)
    paths = RecordingPaths(tmp_path / good)
    assert paths.playlist == tmp_path / good / "hls" / "index.m3u8"
    assert (paths.mp4.name, paths.poster.name, paths.status.name) == (
        "recording.mp4",
        "poster.jpg",
        "status.json",
    )


def test_recording_settings_follow_the_web_side() -> None:
    assert recordings_root({}) == ROOT / "var" / "recordings"
    assert recordings_root({"MEET_VAR_DIR": "/srv/meet"}) == Path("/srv/meet/recordings")
    assert recordings_root({"MEET_RECORDINGS_DIR": "/data/rec"}) == Path("/data/rec")
    assert segment_secs({}) == 1.0 and segment_secs({"MEET_RECORDING_SEGMENT_SECS": "2"}) == 2
    for bad in ("fast", "0.2", "60"):
        with pytest.raises(ValueError, match="MEET_RECORDING_SEGMENT_SECS"):
            segment_secs({"MEET_RECORDING_SEGMENT_SECS": bad})


def test_the_recording_command_carries_the_contract_fields() -> None:
    message = to_worker_recording(
        room="hanoi", action="chapter", recording="a" * 32, directory="/r/" + "a" * 32, title="2"
    )
    assert message == {
        "type": "media.recording",
        "room": "hanoi",
        "action": "chapter",
        "recording": "a" * 32,
        "directory": "/r/" + "a" * 32,
        "broadcast": False,
        "title": "2",
        "text": "",
    }


def test_chapters_keep_the_slide_text() -> None:
    status = RecordingStatus()
    add_chapter(status, ChapterMark("Mở đầu", "Tập huấn", 1.25))
    add_chapter(status, ChapterMark("  ", "  ", -3))
    assert [(c.start, c.title) for c in status.chapters] == [(1.25, "Mở đầu"), (0.0, "2")]
    assert status.slide_text == "Tập huấn"


# -- ownership --------------------------------------------------------------------


def test_a_directory_has_one_owner_until_it_lets_go(tmp_path: Path) -> None:
    first, second = OwnerLock(tmp_path), OwnerLock(tmp_path)
    assert first.acquire() and not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_a_dead_process_leaves_its_directory_free(tmp_path: Path) -> None:
    code = (
        "import os, sys; from pathlib import Path;"
        "from mediaworker.recording.ownership import OwnerLock;"
        f"assert OwnerLock(Path({str(tmp_path)!r})).acquire(); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    assert OwnerLock(tmp_path).acquire()


# -- the HLS writer and finalising -------------------------------------------------


def write_recording(directory: Path, seconds: float, size: tuple[int, int] = (160, 120)) -> None:
    """A recording as the recorder leaves it: real H.264 and the HLS writer."""
    write_status(directory, RecordingStatus(state="recording", started="2026-12-01T01:00:00+00:00"))
    encoder = av.CodecContext.create("libx264", "w")
    assert isinstance(encoder, av.VideoCodecContext)
    encoder.width, encoder.height, encoder.pix_fmt = *size, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 90000)
    encoder.options = {"preset": "ultrafast", "tune": "zerolatency", "g": "30"}
    writer = HlsWriter(RecordingPaths(directory), segment_secs=1.0)
    writer.open(*size)
    position = 0
    for index in range(int(seconds * 30)):
        frame = av.VideoFrame(*size, "yuv420p")
        frame.planes[0].update(bytes([index * 7 % 256]) * frame.planes[0].buffer_size)
        frame.pts = index * 3000
        for packet in encoder.encode(frame):
            writer.write_video(bytes(packet), int(packet.pts or 0), keyframe=packet.is_keyframe)
        while position < (index + 1) * 1600:
            writer.write_audio(position, np.full(1024, 0.2, dtype=np.float32))
            position += 1024
    writer.close()


def top_level_boxes(data: bytes) -> list[str]:
    """The types of an MP4 file's top-level boxes, in order."""
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        boxes.append(data[pos + 4 : pos + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        if size < 8:
            break
        pos += size
    return boxes


def test_a_recording_is_finalised_into_one_mp4_with_a_poster(tmp_path: Path) -> None:
    directory = tmp_path / uuid.uuid4().hex
    write_recording(directory, 5)
    status = finalise(directory)
    assert status.state == "ready" and status.progress == 1.0 and status.error == ""
    assert status.duration == pytest.approx(5.0, abs=0.2)
    assert status.mp4 == "recording.mp4" and status.poster == "poster.jpg"
    assert read_status(directory) == status
    paths = RecordingPaths(directory)
    with av.open(str(paths.mp4), "r") as container:
        assert {s.codec_context.name for s in container.streams} == {"h264", "aac"}
        assert len(list(container.decode(video=0))) == 150
    boxes = top_level_boxes(paths.mp4.read_bytes())
    assert boxes.index("moov") < boxes.index("mdat")  # faststart: plays while downloading
    assert "moof" not in boxes  # one plain MP4, not fragments
    with av.open(str(paths.poster), "r") as poster:
        image = next(poster.decode(video=0))
        assert (image.width, image.height) == (160, 120)
    assert finalise(directory) == status  # finalising again changes nothing


def test_a_recording_without_segments_fails_with_a_reason(tmp_path: Path) -> None:
    directory = tmp_path / uuid.uuid4().hex
    write_status(directory, RecordingStatus(state="recording"))
    status = finalise(directory)
    assert status.state == "failed" and "nothing was recorded" in status.error


def test_orphans_are_finalised_and_live_recordings_left_alone(tmp_path: Path) -> None:
    orphan, live = tmp_path / uuid.uuid4().hex, tmp_path / uuid.uuid4().hex
    write_recording(orphan, 2)
    write_recording(live, 2)
    (tmp_path / "not-a-recording").mkdir()
    owner = OwnerLock(live)
    assert owner.acquire()
    try:
        assert finalise_orphans(tmp_path) == [orphan]
        with pytest.raises(RecordingBusy):
            finalise(live)
    finally:
        owner.release()
    assert read_status(orphan).state == "ready"  # type: ignore[union-attr]
    assert read_status(live).state == "recording"  # type: ignore[union-attr]


def test_the_management_command_finalises_what_it_is_given(tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    directory = tmp_path / uuid.uuid4().hex
    write_recording(directory, 2)
    out = io.StringIO()
    call_command("finalise_recordings", directory.name, root=tmp_path, stdout=out)
    assert f"{directory.name}: ready" in out.getvalue()
    with pytest.raises(CommandError, match="not a recording id"):
        call_command("finalise_recordings", "../etc", root=tmp_path)


def test_concatenated_files_read_as_one(tmp_path: Path) -> None:
    parts = [tmp_path / name for name in "abc"]
    for part, data in zip(parts, [b"0123", b"", b"456789"], strict=True):
        part.write_bytes(data)
    reader = ConcatReader(parts)
    assert reader.read() == b"0123456789"
    reader.seek(3)
    assert reader.read(3) == b"345"
    reader.seek(-2, io.SEEK_END)
    assert reader.read() == b"89"
    reader.close()


def test_a_synthetic_presenter_goes_through_the_recorder(tmp_path: Path) -> None:
    """The demo data's recording: the recorder's own code on a virtual clock."""
    from mediaworker.recording.synthetic import record_synthetic

    directory = tmp_path / uuid.uuid4().hex
    status = record_synthetic(
        directory, seconds=3, size=(320, 180), chapters=[(1.0, "Phần 1", "Tập huấn")]
    )
    assert status.state == "ready" and not status.transcoded
    assert status.duration == pytest.approx(3.0, abs=0.3)
    assert (status.width, status.height) == (320, 180)
    assert [c.title for c in status.chapters] == ["Phần 1"] and status.slide_text == "Tập huấn"
    paths = RecordingPaths(directory)
    with av.open(str(paths.mp4), "r") as container:
        peak = max(float(np.abs(f.to_ndarray()).max()) for f in container.decode(audio=0))
    assert peak > 0.03  # the tone is in the mix
    assert read_playlist(paths.playlist).ended


def test_a_process_exiting_without_a_stop_finishes_its_recording(tmp_path: Path) -> None:
    """The embedded worker dies with daphne: the recorder's thread must not hang the exit."""
    directory = tmp_path / uuid.uuid4().hex
    write_recording(directory, 2)
    code = f"""
import queue, threading, time
from pathlib import Path
from mediaworker.recording.ownership import OwnerLock
from mediaworker.recording.session import Session
directory = Path({str(directory)!r})
lock = OwnerLock(directory)
assert lock.acquire()
session = Session(directory=directory, segment_secs=1.0, started=time.monotonic(), lock=lock,
                  label="exit test")
threading.Thread(target=session.run, args=(queue.SimpleQueue(), threading.Event())).start()
"""  # the main thread ends at once, with no Stop sent
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
    status = read_status(directory)
    assert status is not None and status.state == "ready" and status.ended


def test_fragments_whose_decode_times_overlap_still_make_an_mp4(tmp_path: Path) -> None:
    """A broadcast recorded in CI (both passes side by side, a busy worker) failed to
    finalise: its second fragment started at the decode time its first had guessed for
    its last frame, and MP4 refused the repeat ("Invalid argument"). These are its first
    two fragments, as written."""
    fragments = Path(__file__).parent / "data" / "overlapping_fragments"
    sources = [fragments / "init.mp4", fragments / "seg-00001.m4s", fragments / "seg-00002.m4s"]
    target = tmp_path / "recording.mp4"
    duration = remux(sources, target)
    assert duration == pytest.approx(2.4, abs=0.2)
    with av.open(str(target), "r") as container:
        frames = list(container.decode(video=0))
    times = [frame.pts for frame in frames if frame.pts is not None]
    assert len(frames) > 30 and len(times) == len(frames) and times == sorted(set(times))
