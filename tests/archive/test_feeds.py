"""RSS 2.0 and Atom feeds parse with feedparser and carry the MP4 enclosure; sitemap.xml."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import feedparser  # type: ignore[import-untyped]
import pytest
from django.test import Client

from tests.archive.conftest import People, published_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(people: People, mp4_file: Path):
    entry = published_entry(people, mp4_file)
    entry.tags.create(name="Tập huấn", slug="tap-huan")
    return entry


def parse(url: str):
    response = Client().get(url)
    assert response.status_code == 200
    return response, feedparser.parse(response.content)


@pytest.mark.parametrize(
    ("url", "version"),
    [
        ("/portal/rss/", "rss20"),
        ("/portal/atom/", "atom10"),
        ("/portal/rss/unit/hanoi/", "rss20"),
        ("/portal/rss/tag/tap-huan/", "rss20"),
        ("/portal/atom/tag/tap-huan/", "atom10"),
    ],
)
def test_feeds_carry_the_video(entry, mp4_file: Path, url: str, version: str) -> None:
    response, feed = parse(url)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == version
    [item] = feed.entries
    assert item.title == "Tập huấn chuyển đổi số"
    assert item.link == f"http://testserver/portal/{entry.pk}-{entry.slug}/"
    [enclosure] = item.enclosures
    assert enclosure.href == f"http://testserver/portal/{entry.pk}/video.mp4"
    assert enclosure.type == "video/mp4"
    assert int(enclosure.length) == mp4_file.stat().st_size
    assert "Tập huấn" in [t.term for t in item.tags]


def test_feeds_hide_pending_and_other_scopes(entry, people: People) -> None:
    from archive.services.archive import entry_unpublish

    assert parse("/portal/rss/tag/tap-huan/")[1].entries
    assert Client().get("/portal/rss/tag/khong-co/").status_code == 404
    assert Client().get("/portal/rss/unit/khong-co/").status_code == 404
    entry_unpublish(entry=entry, by=people.editor)
    assert parse("/portal/rss/")[1].entries == []


def test_sitemap_lists_the_portal_and_published_entries(entry, people: People, mp4_file) -> None:
    from tests.archive.conftest import broadcast_session, finished_recording

    pending = finished_recording(
        people.room, mp4_file, occurrence=broadcast_session(people.room, title="Chưa duyệt")
    ).entry
    response = Client().get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.content)
    locations = [loc.text for loc in root.findall("s:url/s:loc", namespace)]
    assert "http://testserver/portal/" in locations
    assert f"http://testserver/portal/{entry.pk}-{entry.slug}/" in locations
    assert not any(f"/portal/{pending.pk}-" in (loc or "") for loc in locations)
