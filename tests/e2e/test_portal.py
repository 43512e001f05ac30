"""End to end: a published archive entry plays in Chromium (currentTime advances), is in
the RSS feed and is found by a search without diacritics."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from mediaworker.wire.status import RecordingStatus, write_status
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
