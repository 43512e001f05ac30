"""A recording in parts (issue 14, item 5): when the media worker making a recording
dies, the next one carries it on as a new recording that ``continues`` it, and the two
are one recording page and one archive entry whose player plays the parts in order."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from archive.domain.parts import merge
from archive.models import ArchiveEntry, Recording, RecordingKind, RecordingState
from archive.portal.selectors import is_public, public_recording
from archive.services.archive import entry_approve
from archive.services.failover import recordings_continue
from archive.services.finished import refresh
from archive.services.parts import ready_parts, recording_parts
from archive.services.paths import recording_directory
from archive.services.recordings import start_recording
from mediaworker.wire.status import Chapter, RecordingStatus, write_status
from scheduling.models import Occurrence
from tests.archive.conftest import People, broadcast_session, make_mp4, ready_status

pytestmark = pytest.mark.django_db


def test_parts_lay_end_to_end() -> None:
    first = RecordingStatus(
        duration=60.0, chapters=[Chapter(0.0, "Mở đầu"), Chapter(40.0, "Học liệu")]
    )
    second = RecordingStatus(duration=30.0, chapters=[Chapter(5.0, "Hỏi đáp")], slide_text="Chủ đề")
    merged = merge([first, second])
    assert merged.duration == 90.0
    assert merged.chapters == [
        {"start": 0.0, "title": "Mở đầu"},
        {"start": 40.0, "title": "Học liệu"},
        {"start": 65.0, "title": "Hỏi đáp"},  # 60 s of the first part, then 5 s in
    ]
    assert [(span.number, span.start) for span in merged.spans] == [(1, 0.0), (2, 60.0)]
    assert merged.slide_text == "Chủ đề"
    assert merge([]).duration == 0.0


def _part(
    people: People,
    mp4: Path | None,
    *,
    continues: Recording | None = None,
    occurrence: Occurrence | None = None,
    status: RecordingStatus | None = None,
    state: str = RecordingState.READY,
) -> Recording:
    """One part as the worker leaves it: its folder, its MP4 when ready, its status.json."""
    recording = Recording.objects.create(
        room=people.room,
        kind=RecordingKind.BROADCAST,
        occurrence=occurrence,
        continues=continues,
    )
    directory = recording_directory(recording.id)
    directory.mkdir(parents=True)
    if mp4 is not None:
        shutil.copy(mp4, directory / "recording.mp4")
    write_status(directory, status or ready_status())
    if state != RecordingState.READY:
        Recording.objects.filter(pk=recording.pk).update(state=state)
        recording.refresh_from_db()
        return recording
    return refresh(recording)


@pytest.fixture
def long_mp4(tmp_path: Path) -> Path:
    path = tmp_path / "long.mp4"
    make_mp4(path, seconds=3)
    return path


def test_a_broadcast_in_two_parts_is_one_entry_that_plays_both(
    people: People, mp4_file: Path, long_mp4: Path
) -> None:
    meeting = broadcast_session(people.room)
    first = _part(people, mp4_file, occurrence=meeting)
    entry = first.entry
    second = _part(
        people,
        long_mp4,
        continues=first,
        occurrence=meeting,
        status=ready_status(duration=3.0, chapters=[Chapter(1.0, "Sau sự cố")]),
    )
    assert ArchiveEntry.objects.count() == 1  # the second part made none of its own
    entry.refresh_from_db()
    assert entry.recording_id == first.id
    assert entry.duration == 5.0  # 2 s and 3 s
    assert entry.chapters[-1] == {"start": 3.0, "title": "Sau sự cố"}
    assert [part.recording.id for part in ready_parts(second)] == [first.id, second.id]
    assert recording_parts(second) == recording_parts(first) == [first, second]

    # Nobody outside sees either part before an editor approves the entry.
    anonymous = Client()
    video = reverse("portal:video", args=[entry.pk])
    assert anonymous.get(f"{video}?part=2").status_code == 404
    assert not is_public(Recording.objects.select_related("entry").get(pk=second.pk))
    entry_approve(entry=entry, by=people.editor)
    assert public_recording(second.id) is not None  # its entry is published now

    page = anonymous.get(reverse("portal:entry", args=[entry.pk, entry.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Phần 1 · " in html and "Phần 2 · " in html
    assert f"{video}?part=2" in html
    part_two = anonymous.get(f"{video}?part=2")
    assert part_two.status_code == 200
    assert part_two.getvalue() == long_mp4.read_bytes()
    part_one = anonymous.get(f"{video}")
    assert part_one.getvalue() == mp4_file.read_bytes()
    assert anonymous.get(f"{video}?part=").status_code == 200  # the first part
    for wrong in ("3", "0", "-1", "hai"):
        assert anonymous.get(f"{video}?part={wrong}").status_code == 404, wrong


def test_a_lost_first_part_leaves_the_entry_with_what_was_saved(
    people: People, mp4_file: Path
) -> None:
    """The dead worker's part could not be finished: the entry plays the next one."""
    meeting = broadcast_session(people.room)
    lost = _part(people, None, occurrence=meeting, state=RecordingState.FAILED)
    assert not ArchiveEntry.objects.exists()
    saved = _part(people, mp4_file, continues=lost, occurrence=meeting)
    entry = ArchiveEntry.objects.get()
    assert entry.recording_id == lost.id and entry.duration == 2.0
    entry_approve(entry=entry, by=people.editor)  # some part is ready: it may be published
    video = Client().get(reverse("portal:video", args=[entry.pk]))
    assert video.getvalue() == mp4_file.read_bytes()
    assert saved.id in {part.recording.id for part in ready_parts(lost)}


def test_the_live_next_part_stays_public_while_the_first_waits_for_an_editor(
    people: People, mp4_file: Path
) -> None:
    """A webinar's program goes on in its new part: the public keeps watching it even
    though the first part, finished by the stop, already waits for approval."""
    meeting = broadcast_session(people.room)
    first = _part(people, mp4_file, occurrence=meeting)
    live = _part(
        people,
        None,
        continues=first,
        occurrence=meeting,
        status=RecordingStatus(state="recording"),
        state=RecordingState.RECORDING,
    )
    assert first.entry.status == "pending"
    assert public_recording(live.id) is not None


def test_the_members_page_plays_the_parts_and_strangers_get_nothing(
    people: People, mp4_file: Path, long_mp4: Path
) -> None:
    first = _part(people, mp4_file)
    second = _part(people, long_mp4, continues=first, status=ready_status(duration=3.0))
    Recording.objects.filter(pk__in=[first.pk, second.pk]).update(kind=RecordingKind.MEETING)
    member = Client()
    member.force_login(people.participant)
    for shown in (first, second):  # either part's address shows the whole recording
        html = member.get(f"/recordings/{shown.id}/").content.decode()
        assert f'src="/recordings/{first.id}/recording.mp4"' in html
        assert f'data-src="/recordings/{second.id}/recording.mp4"' in html
        assert "0:05" in html  # the whole duration
    listing = member.get(f"/{people.room.slug}/recordings/").content.decode()
    assert "phần tiếp theo của bản ghi hình trước" in listing
    stranger = Client()
    stranger.force_login(people.outsider)
    assert stranger.get(f"/recordings/{second.id}/recording.mp4").status_code == 404
    assert stranger.get(f"/recordings/{second.id}/").status_code == 404


def test_failover_starts_the_next_part_of_the_same_recording(people: People) -> None:
    meeting = broadcast_session(people.room)
    old = start_recording(
        people.room, kind=RecordingKind.BROADCAST, occurrence=meeting, by=people.host
    )
    [new] = recordings_continue(slug=people.room.slug, placed=True)
    assert new.continues == old and new.occurrence == meeting
    assert recording_parts(old) == [old, new]
