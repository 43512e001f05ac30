"""The archive's life cycle against every public path (issue 10, "What must hold", item 2).

An entry is pending, then published, and may be unpublished or rejected; a recording may
also be private (a meeting's), live, or ended and waiting for an editor. For each state,
every public address of the recording answers as it should: its files (HLS playlist,
init segment and segments, MP4, poster, captions) and pages (entry, embed) 200 only while
the entry is published, and 404 otherwise; the lists (portal, feeds per unit and per tag,
search, sitemap) and ``/<slug>/live/state`` name it only while published.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from archive.models import ArchiveEntry, Recording, RecordingKind, RecordingState
from archive.services.archive import (
    entry_approve,
    entry_captions_set,
    entry_reject,
    entry_unpublish,
)
from archive.services.paths import recording_directory
from mediaworker.wire.status import RecordingStatus, write_status
from rooms.models import Room
from scheduling.models import Occurrence, SessionKind
from tests.archive.conftest import People, broadcast_session, finished_recording
from tests.meetings import one_meeting

pytestmark = pytest.mark.django_db

CAPTIONS = b"WEBVTT\n\n00:00.000 --> 00:01.000\nXin ch\xc3\xa0o\n"
TITLE = "Tập huấn chuyển đổi số"
TAG = "Thí điểm nội bộ"


def _set_state(entry: ArchiveEntry, people: People, state: str) -> None:
    """Bring a pending entry to ``state`` the way editors do, through the services."""
    steps: dict[str, list[Callable[..., ArchiveEntry]]] = {
        "pending": [],
        "published": [entry_approve],
        "unpublished": [entry_approve, entry_unpublish],
        "rejected": [entry_reject],
        "rejected, then approved": [entry_reject, entry_approve],
        "unpublished, then approved again": [entry_approve, entry_unpublish, entry_approve],
    }
    for step in steps[state]:
        step(entry=entry, by=people.editor)


# state -> may the public see it
ENTRY_STATES = {
    "pending": False,
    "published": True,
    "unpublished": False,
    "rejected": False,
    "rejected, then approved": True,
    "unpublished, then approved again": True,
}


@dataclass
class Archived:
    entry: ArchiveEntry
    recording: Recording

    def files(self) -> dict[str, str]:
        """Every public address of the recording's files and pages."""
        rid, pk = self.recording.id, self.entry.pk
        return {
            "HLS playlist": f"/hls/{rid}/index.m3u8",
            "HLS playlist (folder name)": f"/hls/{rid.hex}/index.m3u8",
            "HLS init segment": f"/hls/{rid}/init.mp4",
            "HLS segment": f"/hls/{rid}/seg-00001.m4s",
            "MP4": f"/portal/{pk}/video.mp4",
            "MP4 download": f"/portal/{pk}/video.mp4?download=1",
            "poster": f"/portal/{pk}/poster.jpg",
            "captions": f"/portal/{pk}/captions.vtt",
            "entry page": f"/portal/{pk}-{self.entry.slug}/",
            "entry page, old slug": f"/portal/{pk}-cu/",
            "embed": f"/portal/embed/{pk}/",
        }


def archived(people: People, mp4_file: Path) -> Archived:
    """A finished webinar with every file a public page links to: a pending entry."""
    recording = finished_recording(
        people.room, mp4_file, occurrence=broadcast_session(people.room, title=TITLE)
    )
    directory = recording_directory(recording.id)
    (directory / "poster.jpg").write_bytes(b"\xff\xd8\xff\xe0 poster")
    (directory / "hls" / "init.mp4").write_bytes(b"\x00\x00\x00\x18ftypiso6")
    entry = recording.entry
    entry.poster = "poster.jpg"
    entry.save(update_fields=["poster"])
    entry_captions_set(entry=entry, data=CAPTIONS, by=people.editor)
    entry.tags.create(name=TAG, slug="thi-diem-noi-bo")
    return Archived(entry, recording)


@pytest.mark.parametrize("state", list(ENTRY_STATES))
def test_every_file_and_page_follows_the_entry(people: People, mp4_file: Path, state: str) -> None:
    """Issue 10, row 2: after unpublish or reject every public file and page answers 404
    (HLS playlist, init segment and segments included), and 200 only while published."""
    archive = archived(people, mp4_file)
    _set_state(archive.entry, people, state)
    public = ENTRY_STATES[state]
    for name, url in archive.files().items():
        response = Client().get(url)
        if not public:
            assert response.status_code == 404, (state, name, url)
            assert "Access-Control-Allow-Origin" not in response, (state, name)
        elif name == "entry page, old slug":
            assert response.status_code == 301, (state, name)
        else:
            assert response.status_code == 200, (state, name, url, response.status_code)
            if not name.startswith(("entry page", "embed")):
                assert response["Cache-Control"].startswith("public"), (state, name)


PUBLIC_LISTS = {
    "portal": "/portal/",
    "portal of the unit": "/portal/?unit=hanoi",
    "portal of the tag": "/portal/?tag=thi-diem-noi-bo",
    "RSS": "/portal/rss/",
    "Atom": "/portal/atom/",
    "RSS of the unit": "/portal/rss/unit/hanoi/",
    "Atom of the unit": "/portal/atom/unit/hanoi/",
    "RSS of the tag": "/portal/rss/tag/thi-diem-noi-bo/",
    "Atom of the tag": "/portal/atom/tag/thi-diem-noi-bo/",
    "search": "/portal/search/?q=chuyen+doi+so",
    "search with diacritics": "/portal/search/?q=chuy%E1%BB%83n+%C4%91%E1%BB%95i",
    "sitemap": "/sitemap.xml",
    "watch page state": "/hanoi/live/state",
}


@pytest.mark.parametrize("state", list(ENTRY_STATES))
def test_lists_feeds_search_sitemap_and_live_state_follow_the_entry(
    people: People, mp4_file: Path, state: str
) -> None:
    """Issue 10, row 2: an entry that is not published is named by no public list: not the
    portal, its feeds (per unit and per tag), search, the sitemap nor /<slug>/live/state;
    nor is a tag that only unpublished entries carry."""
    archive = archived(people, mp4_file)
    _set_state(archive.entry, people, state)
    page = f"/portal/{archive.entry.pk}-{archive.entry.slug}/"
    for name, url in PUBLIC_LISTS.items():
        response = Client().get(url)
        if name.endswith("of the tag") and name != "portal of the tag":
            # A tag only unpublished entries carry is unknown to the public.
            assert response.status_code == (200 if ENTRY_STATES[state] else 404), (state, name)
        else:
            assert response.status_code == 200, (state, name)
        body = response.content.decode()
        assert (page in body) is ENTRY_STATES[state], (state, name)
        # The recording's id (the feeds' stable guid) is named only while published.
        named = archive.recording.id.hex in body or str(archive.recording.id) in body
        assert not named or ENTRY_STATES[state], (state, name)
        if not ENTRY_STATES[state]:
            assert TITLE not in body and TAG not in body, (state, name)


def test_a_withdrawn_entry_is_not_revalidated_from_a_cache(people: People, mp4_file: Path) -> None:
    """Issue 10, row 2: a CDN asking "is my copy still good?" (If-None-Match,
    If-Modified-Since, a byte range) after an unpublish gets 404, never 304 or 206."""
    archive = archived(people, mp4_file)
    entry_approve(entry=archive.entry, by=people.editor)
    copies = {}
    for name, url in archive.files().items():
        if name in ("MP4", "HLS playlist", "HLS segment", "poster"):
            first = Client().get(url)
            assert first["ETag"] and first["Last-Modified"], name
            again = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
            assert again.status_code == 304, name  # while public, revalidation is cheap
            assert again["Cache-Control"] == first["Cache-Control"], name
            copies[url] = first
    entry_unpublish(entry=archive.entry, by=people.editor)
    for url, first in copies.items():
        assert Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404, url
        since = first["Last-Modified"]
        assert Client().get(url, HTTP_IF_MODIFIED_SINCE=since).status_code == 404, url
        assert Client().get(url, HTTP_RANGE="bytes=0-9").status_code == 404, url


@pytest.mark.parametrize(
    ("max_age", "expected"), [(None, "public, max-age=60"), (5, "public, max-age=5")]
)
def test_shared_caches_keep_public_files_briefly(
    people: People, mp4_file: Path, settings, max_age: int | None, expected: str
) -> None:
    """Issue 10, row 2: no public file is cached for a year (a CDN would keep serving a
    withdrawn entry); playlists are revalidated on every use."""
    if max_age is not None:
        settings.MEET_PUBLIC_MEDIA_MAX_AGE_SECS = max_age
    archive = archived(people, mp4_file)
    entry_approve(entry=archive.entry, by=people.editor)
    for name, url in archive.files().items():
        if name.startswith(("entry page", "embed")):
            continue
        response = Client().get(url)
        if name.startswith("HLS playlist"):
            assert response["Cache-Control"] == "public, no-cache", name
        else:
            assert response["Cache-Control"] == expected, name
            assert "immutable" not in response["Cache-Control"]


# ---- recordings without a published entry: live, ended, private ---------------------


def _meeting(room: Room, *, broadcast: bool, title: str) -> Occurrence:
    return one_meeting(
        room,
        start=timezone.now().replace(microsecond=0) - timedelta(minutes=10),
        kind=SessionKind.BRIEFING,
        title=title,
        description="Nội dung nội bộ",
        broadcast=broadcast,
        public=broadcast,
    )


def _running(room: Room, *, kind: str, occurrence: Occurrence | None) -> Recording:
    """A recording the media worker is writing: a live playlist and its first segments."""
    recording = Recording.objects.create(
        room=room, kind=kind, occurrence=occurrence, started_at=timezone.now()
    )
    hls = recording_directory(recording.id) / "hls"
    hls.mkdir(parents=True)
    (hls / "index.m3u8").write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\nseg-00001.m4s\n"
    )
    (hls / "init.mp4").write_bytes(b"\x00\x00\x00\x18ftypiso6")
    (hls / "seg-00001.m4s").write_bytes(b"\x00" * 100)
    write_status(recording_directory(recording.id), RecordingStatus(state="recording"))
    return recording


def _live_webinar(people: People) -> Recording:
    occurrence = _meeting(people.room, broadcast=True, title="Hội thảo trực tuyến công khai")
    return _running(people.room, kind=RecordingKind.BROADCAST, occurrence=occurrence)


def _live_ad_hoc_broadcast(people: People) -> Recording:
    return _running(people.room, kind=RecordingKind.BROADCAST, occurrence=None)


def _private_meeting_recorded_as_broadcast(people: People) -> Recording:
    occurrence = _meeting(people.room, broadcast=False, title="Họp kín xét kỷ luật")
    return _running(people.room, kind=RecordingKind.BROADCAST, occurrence=occurrence)


def _live_meeting_recording(people: People) -> Recording:
    occurrence = _meeting(people.room, broadcast=False, title="Họp kín xét kỷ luật")
    return _running(people.room, kind=RecordingKind.MEETING, occurrence=occurrence)


def _ended_webinar_waiting_for_an_editor(people: People) -> Recording:
    recording = _live_webinar(people)
    Recording.objects.filter(pk=recording.pk).update(state=RecordingState.FINALISING)
    return recording


def _ended_webinar_before_any_refresh(people: People) -> Recording:
    recording = _live_webinar(people)  # ready on disk, the row not refreshed yet
    directory = recording_directory(recording.id)
    write_status(directory, RecordingStatus(state="ready", progress=1.0))
    Recording.objects.filter(pk=recording.pk).update(state=RecordingState.READY)
    return recording


def _failed_webinar(people: People) -> Recording:
    recording = _live_webinar(people)
    Recording.objects.filter(pk=recording.pk).update(state=RecordingState.FAILED)
    return recording


def _finished_meeting(people: People, mp4_file: Path) -> Recording:
    return finished_recording(people.room, mp4_file, kind=RecordingKind.MEETING)


RECORDINGS: dict[str, tuple[Callable[..., Recording], bool]] = {
    "live webinar": (_live_webinar, True),
    "live broadcast without a scheduled meeting": (_live_ad_hoc_broadcast, True),
    "private meeting recorded as a broadcast": (_private_meeting_recorded_as_broadcast, False),
    "live meeting recording": (_live_meeting_recording, False),
    "ended webinar, finishing": (_ended_webinar_waiting_for_an_editor, False),
    "ended webinar, not refreshed yet": (_ended_webinar_before_any_refresh, False),
    "failed webinar": (_failed_webinar, False),
}


@pytest.mark.parametrize("case", list(RECORDINGS))
def test_hls_is_public_only_during_a_public_broadcast(people: People, case: str) -> None:
    """Issue 10, row 2: the HLS program is public while a public broadcast runs; never for
    a meeting, a private meeting's recording, nor a broadcast that ended (until published)."""
    make, public = RECORDINGS[case]
    recording = make(people)
    for name in ("index.m3u8", "init.mp4", "seg-00001.m4s"):
        response = Client().get(f"/hls/{recording.id.hex}/{name}")
        assert response.status_code == (200 if public else 404), (case, name)
        if public:
            assert response["Access-Control-Allow-Origin"] == "*"
    state = Client().get(f"/{people.room.slug}/live/state").json()
    assert (recording.id.hex in state["playlist"]) is public, (case, state)
    assert state["archive"] == ""


def test_a_private_meetings_recording_is_never_public(people: People, mp4_file: Path) -> None:
    """Issue 10, row 2: a finished meeting's recording has no public address at all."""
    recording = _finished_meeting(people, mp4_file)
    for name in ("index.m3u8", "seg-00001.m4s"):
        assert Client().get(f"/hls/{recording.id}/{name}").status_code == 404
    assert not ArchiveEntry.objects.filter(recording=recording).exists()
    state = Client().get(f"/{people.room.slug}/live/state").content.decode()
    assert recording.id.hex not in state


def test_the_fixture_serves_the_real_mp4(people: People, mp4_file: Path) -> None:
    """The archive fixture's files are real (a 200 above is the file, not an empty body)."""
    archive = archived(people, mp4_file)
    entry_approve(entry=archive.entry, by=people.editor)
    response = Client().get(f"/portal/{archive.entry.pk}/video.mp4")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body == mp4_file.read_bytes()
