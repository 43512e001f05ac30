"""The editors' queue: approve, edit, captions (errors in Vietnamese), unpublish."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from archive.models import EntryStatus
from tests.archive.conftest import People, broadcast_session, finished_recording

pytestmark = pytest.mark.django_db

VTT = "WEBVTT\n\n00:00.000 --> 00:01.000\nXin chào các thầy cô\n"


@pytest.fixture
def editor(people: People) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(people.editor)
    return client


@pytest.fixture
def entry(people: People, mp4_file: Path):
    return finished_recording(
        people.room, mp4_file, occurrence=broadcast_session(people.room)
    ).entry


def test_queue_is_for_editors_only(people: People, entry) -> None:
    client = Client()
    assert client.get("/portal/review/").status_code == 302  # sign in first
    client.force_login(people.host)
    assert client.get("/portal/review/").status_code == 403
    assert client.post(f"/portal/review/{entry.pk}/approve/").status_code == 403


def test_editor_approves_then_unpublishes(editor: Client, entry) -> None:
    html = editor.get("/portal/review/").content.decode()
    assert entry.title in html and "Chờ duyệt" in html
    editor.post(f"/portal/review/{entry.pk}/approve/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED
    assert Client().get(f"/portal/{entry.pk}-{entry.slug}/").status_code == 200
    editor.post(f"/portal/review/{entry.pk}/unpublish/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.UNPUBLISHED


def test_editor_rejects_a_pending_entry(editor: Client, entry, people: People) -> None:
    """Issue 10, row 2: an editor may reject a pending entry; it stays off every public
    address (its live HLS program included) and may still be approved later."""
    html = editor.get(f"/portal/review/{entry.pk}/").content.decode()
    assert f'action="/portal/review/{entry.pk}/reject/"' in html and "Từ chối" in html
    response = editor.post(f"/portal/review/{entry.pk}/reject/", follow=True)
    assert "Bản ghi hình đã bị từ chối" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REJECTED
    assert "Bị từ chối" in editor.get("/portal/review/").content.decode()
    assert Client().get(f"/hls/{entry.recording_id}/index.m3u8").status_code == 404
    assert Client().get(f"/portal/{entry.pk}-{entry.slug}/").status_code == 404
    # Only the host of the room cannot decide; a published entry is unpublished, not rejected.
    host = Client()
    host.force_login(people.host)
    assert host.post(f"/portal/review/{entry.pk}/reject/").status_code == 403
    editor.post(f"/portal/review/{entry.pk}/approve/")
    response = editor.post(f"/portal/review/{entry.pk}/reject/", follow=True)
    assert "hãy dùng nút Gỡ xuống" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED


def test_editors_preview_the_entries_they_decide_on(editor: Client, entry, people: People) -> None:
    """The queue's preview plays a pending entry's video for editors (they are not
    members of the room); a meeting's recording stays the room's alone."""
    html = editor.get(f"/portal/review/{entry.pk}/").content.decode()
    preview = f"/recordings/{entry.recording_id}/recording.mp4"
    assert f'src="{preview}"' in html
    response = editor.get(preview)
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")
    for rejected_or_not in ("reject", "approve", "unpublish"):
        editor.post(f"/portal/review/{entry.pk}/{rejected_or_not}/")
        assert editor.get(preview).status_code == 200, rejected_or_not
    assert Client().get(preview).status_code == 404


def test_an_unknown_decision_changes_nothing(editor: Client, entry) -> None:
    """Issue 10, row 2: only approve, unpublish and reject are decisions (any other word
    used to unpublish)."""
    editor.post(f"/portal/review/{entry.pk}/approve/")
    assert editor.post(f"/portal/review/{entry.pk}/publish-later/").status_code == 404
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PUBLISHED


def test_editor_edits_metadata(editor: Client, entry, people: People) -> None:
    response = editor.post(
        f"/portal/review/{entry.pk}/",
        {
            "title": "Tập huấn  Chuyển đổi số",
            "description": "Mô tả",
            "unit": people.room.unit.pk,  # type: ignore[union-attr]
            "kind": "training",
            "held_on": "2026-11-30",
            "tags": "Tập huấn, tap huan, Chuyển đổi số",
            "source": "Bộ Giáo dục và Đào tạo",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert sorted(t.name for t in entry.tags.all()) == ["Chuyển đổi số", "Tập huấn"]
    assert entry.source == "Bộ Giáo dục và Đào tạo"
    bad = editor.post(f"/portal/review/{entry.pk}/", {"title": "", "kind": "x"})
    assert bad.status_code == 200 and "Trường này là bắt buộc." in bad.content.decode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"1\n00:00:01,000 --> 00:00:02,000\nSRT\n", "Đây không phải tệp WebVTT"),
        (b"WEBVTT\n\nNOTE\n", "không có câu phụ đề nào"),
        (b"\xff\xfe\x00", "không phải văn bản UTF-8"),
    ],
)
def test_captions_errors_in_vietnamese(editor: Client, entry, content: bytes, message: str) -> None:
    upload = SimpleUploadedFile("phude.vtt", content, content_type="text/vtt")
    response = editor.post(f"/portal/review/{entry.pk}/", {"captions": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    entry.refresh_from_db()
    assert entry.captions == ""


def test_captions_are_served_to_the_player(editor: Client, entry) -> None:
    upload = SimpleUploadedFile("phude.vtt", VTT.encode(), content_type="text/vtt")
    assert editor.post(f"/portal/review/{entry.pk}/", {"captions": upload}).status_code == 302
    editor.post(f"/portal/review/{entry.pk}/approve/")
    page = Client().get(f"/portal/{entry.pk}-{entry.slug}/").content.decode()
    assert f'<track kind="captions" src="/portal/{entry.pk}/captions.vtt"' in page
    vtt = Client().get(f"/portal/{entry.pk}/captions.vtt")
    assert vtt["Content-Type"] == "text/vtt; charset=utf-8" and vtt.content.decode() == VTT
