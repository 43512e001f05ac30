"""End to end: a published archive entry plays in Chromium (currentTime advances), is in
the RSS feed and is found by a search without diacritics; an entry recorded in two parts
(a media worker died during the broadcast) plays them one after the other."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from mediaworker.wire.status import Chapter, RecordingStatus, write_status
from tests.archive.conftest import make_mp4
from tests.e2e.server import live_var_dir, meet_shell

pytestmark = pytest.mark.e2e

REGISTER = """
import json, os
from pathlib import Path
from rooms.models import Room
from archive.services.archive import archive_demo_recording
entry = archive_demo_recording(
    Path(os.environ["PORTAL_E2E_DIR"]), room=Room.objects.get(slug="hanoi"),
    title="Tập huấn dạy học số", description="Kho học liệu điện tử", tags=["Tập huấn"])
print(json.dumps({"pk": entry.pk, "slug": entry.slug}))
"""


@pytest.fixture(scope="module")
def entry(live_url: str, server_database: str, tmp_path_factory: pytest.TempPathFactory):
    """A published entry registered in the live server's database and recordings folder."""
    directory = tmp_path_factory.mktemp("portal-e2e") / uuid.uuid4().hex
    directory.mkdir()
    make_mp4(directory / "recording.mp4", seconds=4)
    write_status(directory, RecordingStatus(state="ready", progress=1.0, duration=4.0))
    return meet_shell(
        REGISTER,
        database=server_database,
        var_dir=live_var_dir(tmp_path_factory),
        PORTAL_E2E_DIR=str(directory),
    )


def test_archived_video_plays(page: Page, entry) -> None:
    page.goto("/portal/")
    page.get_by_role("link", name="Tập huấn dạy học số").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tập huấn dạy học số")
    video = page.locator("#portal-video")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.getElementById('portal-video').currentTime > 0.5", timeout=30_000
    )
    assert video.evaluate("v => v.videoWidth") == 320


def test_search_and_feed(page: Page, entry) -> None:
    page.goto("/portal/search/?q=tap+huan")
    expect(page.locator("mark").first).to_have_text("Tập")
    feed = page.request.get("/portal/rss/").text()
    assert f"/portal/{entry['pk']}/video.mp4" in feed and 'type="video/mp4"' in feed


# The broadcast's second part: the recording the next worker made (archive/services/failover.py).
REGISTER_IN_PARTS = """
import json, os
from pathlib import Path
from rooms.models import Room
from archive.models import Recording
from archive.services.archive import archive_demo_recording
from archive.services.finished import refresh
from archive.services.recordings import recording_register
entry = archive_demo_recording(
    Path(os.environ["PORTAL_E2E_FIRST"]), room=Room.objects.get(slug="hanoi"),
    title="Hội nghị giao ban có hai phần")
second = recording_register(Path(os.environ["PORTAL_E2E_SECOND"]), room=entry.recording.room)
Recording.objects.filter(pk=second.pk).update(continues=entry.recording)
refresh(Recording.objects.get(pk=second.pk))
entry.refresh_from_db()
entry.captions = os.environ["PORTAL_E2E_CAPTIONS"]  # written for the whole recording
entry.save(update_fields=["captions"])
print(json.dumps({"pk": entry.pk, "slug": entry.slug, "chapters": entry.chapters}))
"""


# The first part lasts 2 s: "Phần hai" is said from 1 s into the second one.
CAPTIONS_OF_TWO_PARTS = (
    "WEBVTT\n\n00:00.000 --> 00:02.900\nPhần một\n\n00:03.000 --> 00:05.000\nPhần hai\n"
)
ACTIVE_CUES = (
    "() => { const t = document.getElementById('portal-video').textTracks[0];"
    " return t && t.activeCues ? [...t.activeCues].map(c => c.text) : []; }"
)


def test_an_entry_in_two_parts_plays_the_second_after_the_first(
    page: Page, live_url: str, server_database: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folders = []
    for seconds, chapters in ((2, []), (3, [Chapter(1.0, "Sau khi máy chủ đổi")])):
        directory = tmp_path_factory.mktemp("portal-parts") / uuid.uuid4().hex
        directory.mkdir()
        make_mp4(directory / "recording.mp4", seconds=seconds)
        status = RecordingStatus(
            state="ready", progress=1.0, duration=float(seconds), chapters=chapters
        )
        write_status(directory, status)
        folders.append(directory)
    entry = meet_shell(
        REGISTER_IN_PARTS,
        database=server_database,
        var_dir=live_var_dir(tmp_path_factory),
        PORTAL_E2E_FIRST=str(folders[0]),
        PORTAL_E2E_SECOND=str(folders[1]),
        PORTAL_E2E_CAPTIONS=CAPTIONS_OF_TWO_PARTS,
    )
    assert entry["chapters"] == [{"start": 3.0, "title": "Sau khi máy chủ đổi"}]
    page.goto(f"/portal/{entry['pk']}-{entry['slug']}/")
    parts = page.locator(".portal-parts [data-part]")
    expect(parts).to_have_count(2)
    expect(parts.nth(0)).to_have_attribute("aria-current", "true")
    video = page.locator("#portal-video")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    # The first part ends and the second starts by itself.
    page.wait_for_function(
        "() => { const v = document.getElementById('portal-video');"
        " return v.currentSrc.endsWith('part=2') && v.currentTime > 0.3; }",
        timeout=30_000,
    )
    expect(parts.nth(1)).to_have_attribute("aria-current", "true")
    # Back to the first part, then the chapter: it is 1 s into the second.
    parts.nth(0).click()
    page.wait_for_function(
        "() => document.getElementById('portal-video').currentSrc.endsWith('part=1')"
    )
    page.get_by_role("button", name="Sau khi máy chủ đổi").click()
    page.wait_for_function(
        "() => { const v = document.getElementById('portal-video');"
        " return v.currentSrc.endsWith('part=2') && v.currentTime >= 1.0; }",
        timeout=30_000,
    )
    # The captions follow the whole recording: what is said 3 s in, not 1 s in.
    video.evaluate("v => v.pause()")
    page.wait_for_function(f"() => ({ACTIVE_CUES})().length > 0")
    assert page.evaluate(ACTIVE_CUES) == ["Phần hai"]
    # Back in the first part, its own words again.
    parts.nth(0).click()
    page.wait_for_function(
        "() => document.getElementById('portal-video').currentSrc.endsWith('part=1')"
    )
    video.evaluate("v => { v.pause(); v.currentTime = 1.0; }")
    page.wait_for_function(f"() => ({ACTIVE_CUES})().join() === 'Phần một'")
