"""Who sees what: private recordings 404 to outsiders; the archive shows only published entries;
files come with their type, byte ranges and cache headers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import av
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from archive.models import EntryStatus, Recording, RecordingKind, RecordingState
from archive.services.archive import entry_approve, entry_unpublish
from archive.services.finished import refresh_unfinished
from archive.services.paths import recording_directory
from scheduling.models import Occurrence
from signaling.models import Meeting
from tests.archive.conftest import (
    MP4_SIZE,
    People,
    broadcast_session,
    finished_recording,
    published_entry,
)

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_private_recording_is_for_members_only(people: People, mp4_file: Path) -> None:
    recording = finished_recording(people.room, mp4_file, kind=RecordingKind.MEETING)
    page = f"/recordings/{recording.id}/"
    video = f"/recordings/{recording.id}/recording.mp4"
    for user in (None, people.outsider, people.editor):
        assert client_for(user).get(page).status_code == 404
        assert client_for(user).get(video).status_code == 404
        assert client_for(user).get(f"/recordings/{recording.id}/hls/index.m3u8").status_code == 404
    # Not a broadcast: no public HLS either.
    assert Client().get(f"/hls/{recording.id}/index.m3u8").status_code == 404
    for user in (people.host, people.participant):
        response = client_for(user).get(page)
        assert response.status_code == 200
        assert f'src="/recordings/{recording.id}/recording.mp4"'.encode() in response.content
    response = client_for(people.participant).get(video)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert b"".join(response.streaming_content) == mp4_file.read_bytes()  # type: ignore[attr-defined]
    playlist = client_for(people.host).get(f"/recordings/{recording.id}/hls/index.m3u8")
    assert playlist["Cache-Control"] == "private, no-cache"
    # An unknown id is a 404 like any other.
    assert client_for(people.host).get(f"/recordings/{uuid.uuid4()}/").status_code == 404


def test_range_requests_for_seeking(people: People, mp4_file: Path) -> None:
    recording = finished_recording(people.room, mp4_file, kind=RecordingKind.MEETING)
    client = client_for(people.host)
    url = f"/recordings/{recording.id}/recording.mp4"
    size = mp4_file.stat().st_size
    response = client.get(url, HTTP_RANGE="bytes=100-199")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{size}"
    assert response["Content-Length"] == "100"
    assert b"".join(response.streaming_content) == mp4_file.read_bytes()[100:200]  # type: ignore[attr-defined]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == mp4_file.read_bytes()[-10:]  # type: ignore[attr-defined]
    beyond = client.get(url, HTTP_RANGE=f"bytes={size}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    download = client.get(url + "?download=1")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Accept-Ranges"] == "bytes"


def test_public_hls_of_a_broadcast(people: People, mp4_file: Path) -> None:
    recording = finished_recording(people.room, mp4_file)
    # Issue 10, row 2: a finished broadcast waiting for an editor is not public yet.
    assert Client().get(f"/hls/{recording.id}/index.m3u8").status_code == 404
    entry_approve(entry=recording.entry, by=people.editor)
    playlist = Client().get(f"/hls/{recording.id}/index.m3u8")
    assert playlist.status_code == 200
    # The address the watch page uses: the id as the recording's folder is named.
    assert Client().get(f"/hls/{recording.id.hex}/index.m3u8").status_code == 200
    assert reverse("recordings:public-hls", args=[recording.id.hex, "x"]) == (
        f"/hls/{recording.id}/x"
    )
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist["Cache-Control"] == "public, no-cache"
    segment = Client().get(f"/hls/{recording.id}/seg-00001.m4s")
    assert segment["Content-Type"] == "video/iso.segment"
    # Issue 10, row 2: short-lived in shared caches, since the entry may be withdrawn.
    assert segment["Cache-Control"] == "public, max-age=60"
    for name in ("..", "status.json", "seg-99999.m4s", ".hidden"):
        assert Client().get(f"/hls/{recording.id}/{name}").status_code == 404
    assert Client().get(f"/hls/{recording.id}/..%2Fstatus.json").status_code == 404


def test_entry_is_public_only_when_published(people: People, mp4_file: Path) -> None:
    recording = finished_recording(people.room, mp4_file, occurrence=broadcast_session(people.room))
    entry = recording.entry
    page = f"/portal/{entry.pk}-{entry.slug}/"
    assert entry.status == EntryStatus.PENDING
    assert Client().get(page).status_code == 404
    assert Client().get(f"/portal/{entry.pk}/video.mp4").status_code == 404
    assert entry.title not in Client().get("/portal/").content.decode()
    entry = published_entry(people, mp4_file, title="Hội nghị trực tuyến")
    response = Client().get(f"/portal/{entry.pk}-{entry.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="/portal/{entry.pk}/video.mp4"' in html
    vi = Client(HTTP_ACCEPT_LANGUAGE="vi").get(f"/portal/{entry.pk}-{entry.slug}/")
    assert 'data-seek="1.0"' in vi.content.decode()  # not "1,0": a script reads it
    assert (
        "/portal/embed/" in html
        and "Hội nghị trực tuyến" in Client().get("/portal/").content.decode()
    )
    # A wrong slug redirects to the right one (old links keep working after a rename).
    assert (
        Client().get(f"/portal/{entry.pk}-cu/")["Location"] == f"/portal/{entry.pk}-{entry.slug}/"
    )
    video = Client().get(f"/portal/{entry.pk}/video.mp4")
    assert video["Cache-Control"] == "public, max-age=60"  # Issue 10, row 2: may be withdrawn
    entry_unpublish(entry=entry, by=people.editor)
    assert Client().get(f"/portal/{entry.pk}-{entry.slug}/").status_code == 404


def test_embed_may_be_framed_and_other_pages_not(people: People, mp4_file: Path) -> None:
    entry = published_entry(people, mp4_file)
    embed = Client().get(f"/portal/embed/{entry.pk}/")
    assert embed.status_code == 200 and "X-Frame-Options" not in embed
    assert Client().get(f"/portal/{entry.pk}-{entry.slug}/")["X-Frame-Options"] == "DENY"


def test_portal_filters(people: People, mp4_file: Path) -> None:
    first = published_entry(people, mp4_file, title="Tập huấn STEM")
    published_entry(people, mp4_file, title="Giao ban tháng")
    first.tags.create(name="STEM", slug="stem")
    html = Client().get("/portal/?tag=stem").content.decode()
    assert "Tập huấn STEM" in html and "Giao ban tháng" not in html
    html = Client().get("/portal/?kind=briefing").content.decode()
    assert "Tập huấn STEM" not in html
    year = first.held_on.year
    assert "Giao ban tháng" in Client().get(f"/portal/?year={year}&unit=hanoi").content.decode()
    assert Client().get("/portal/?year=abc&kind=zzz").status_code == 200


def test_start_and_stop_endpoints(people: People) -> None:
    url = "/hanoi/recordings/start"
    assert client_for(people.participant).post(url).status_code == 403
    assert Client().post(url).status_code == 403
    response = client_for(people.host).post(url, {"kind": "meeting"})
    assert response.status_code == 201
    data = response.json()
    assert data["state"] == "recording" and data["url"] == f"/recordings/{uuid.UUID(data['id'])}/"
    again = client_for(people.host).post(url)
    assert again.status_code == 409 and again.json()["error"]
    stop = data["stop_url"]
    assert client_for(people.outsider).post(stop).status_code == 404
    assert client_for(people.participant).post(stop).status_code == 403
    assert client_for(people.host).post(stop).json()["state"] == "recording"
    assert Recording.objects.get().stop_requested_at is not None


def test_the_live_rooms_button_starts_the_webinar_of_this_moment(people: People) -> None:
    url = "/hanoi/recordings/start"
    response = client_for(people.host).post(url)  # no webinar now: a private recording
    assert response.status_code == 201
    meeting = Recording.objects.get(pk=response.json()["id"])
    assert meeting.kind == RecordingKind.MEETING and meeting.occurrence is None
    client_for(people.host).post(response.json()["stop_url"])
    Recording.objects.filter(pk=meeting.pk).update(state=RecordingState.READY)

    occurrence = broadcast_session(people.room)
    Occurrence.objects.filter(pk=occurrence.pk).update(
        start=timezone.now() + timedelta(minutes=20), end=timezone.now() + timedelta(hours=1)
    )
    response = client_for(people.host).post(url)  # 20 minutes early: the webinar
    assert response.status_code == 201
    webinar = Recording.objects.get(pk=response.json()["id"])
    assert webinar.kind == RecordingKind.BROADCAST and webinar.occurrence_id == occurrence.pk


def test_a_private_meeting_cannot_be_recorded_as_a_broadcast(people: People) -> None:
    """Issue 10, row 2: "kind=broadcast" on a meeting that is not a webinar would make
    its program public (HLS, the watch page and its WebRTC viewers): refused."""
    occurrence = broadcast_session(people.room, title="Họp kín xét kỷ luật")
    occurrence.session.broadcast = False
    occurrence.session.public = False
    occurrence.session.save(update_fields=["broadcast", "public"])
    url = "/hanoi/recordings/start"
    host = client_for(people.host)
    response = host.post(url, {"kind": "broadcast", "occurrence": occurrence.pk})
    assert response.status_code == 409
    assert response.json()["error"] == (
        "Cuộc họp này không phát công khai: hãy ghi hình như một cuộc họp."
    )
    assert not Recording.objects.exists()
    # Of this moment's private meeting too (the button's default picks it).
    Occurrence.objects.filter(pk=occurrence.pk).update(
        start=timezone.now() - timedelta(minutes=5), end=timezone.now() + timedelta(hours=1)
    )
    assert host.post(url, {"kind": "broadcast"}).status_code == 409
    response = host.post(url, {"kind": "meeting", "occurrence": occurrence.pk})
    assert response.status_code == 201 and response.json()["kind"] == "meeting"


def test_room_list_shows_progress(people: People, mp4_file: Path) -> None:
    from mediaworker.wire.status import RecordingStatus, write_status

    recording = Recording.objects.create(room=people.room, kind=RecordingKind.MEETING)
    write_status(
        recording_directory(recording.id), RecordingStatus(state="finalising", progress=0.5)
    )
    refresh_unfinished()  # the minute sweep: GET views only show what the row says
    assert Client().get("/hanoi/recordings/").status_code == 302  # sign in first
    assert client_for(people.outsider).get("/hanoi/recordings/").status_code == 404
    html = client_for(people.participant).get("/hanoi/recordings/").content.decode()
    assert '<progress max="100" value="50"' in html
    data = client_for(people.participant).get("/hanoi/recordings/?format=json").json()
    assert data["recordings"][0]["state"] == RecordingState.FINALISING
    assert data["recordings"][0]["progress"] == 0.5


def test_mp4_fixture_is_real_h264_aac(mp4_file: Path) -> None:
    with av.open(str(mp4_file)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert (video.codec_context.width, video.codec_context.height) == MP4_SIZE


def test_portal_list_queries_do_not_grow_with_entries(
    people: People, mp4_file: Path, django_assert_max_num_queries
) -> None:
    for index in range(3):
        published_entry(people, mp4_file, title=f"Tập huấn đợt {index}").tags.create(
            name=f"Đợt {index}", slug=f"dot-{index}"
        )
    client = Client()
    client.get("/portal/")  # warm the caches of the session, translations...
    with django_assert_max_num_queries(8) as few:
        client.get("/portal/")
    for index in range(3, 9):
        published_entry(people, mp4_file, title=f"Tập huấn đợt {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get("/portal/").content.decode()
    assert html.count('class="card portal-card"') == 9


def test_the_button_records_the_open_meetings_occurrence(people: People) -> None:
    """Issue 11: the live meeting knows its scheduled occurrence (its joins recorded it);
    the Record button uses it instead of asking "which meeting is on now" again."""
    url = "/hanoi/recordings/start"
    ended = broadcast_session(people.room)  # the meeting's webinar, over by the clock now
    meeting = Meeting.objects.create(room=people.room, occurrence_ref=str(ended.pk))
    response = client_for(people.host).post(url)
    assert response.status_code == 201
    webinar = Recording.objects.get(pk=response.json()["id"])
    assert webinar.kind == RecordingKind.BROADCAST and webinar.occurrence_id == ended.pk
    client_for(people.host).post(response.json()["stop_url"])
    Recording.objects.filter(pk=webinar.pk).update(state=RecordingState.READY)

    # Everyone joined before the webinar opened, so no join recorded it: the button still
    # records the webinar of this moment (what the live room's page promised the host).
    Meeting.objects.filter(pk=meeting.pk).update(occurrence_ref="")
    Occurrence.objects.filter(pk=ended.pk).update(
        start=timezone.now() - timedelta(minutes=5), end=timezone.now() + timedelta(hours=1)
    )
    response = client_for(people.host).post(url)
    recording = Recording.objects.get(pk=response.json()["id"])
    assert recording.kind == RecordingKind.BROADCAST and recording.occurrence_id == ended.pk
