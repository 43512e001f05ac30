"""Rows of recordings, their files and HLS, and the public archive with its feeds."""

from __future__ import annotations

from collections.abc import Callable

from tests.security.matrix import roles as r
from tests.security.matrix.rows_live import LIVE, broadcast_live
from tests.security.matrix.table import Row, gate, listing
from tests.security.matrix.world import ENTRY_MARKERS, ENTRY_STATES, World

E = r.EVERYONE
UrlOf = Callable[[World], str]


def _entry_url(state: str, tail: str) -> UrlOf:
    return lambda w: f"/portal/{w.entries[state].pk}/{tail}"


def _entry_page(state: str) -> UrlOf:
    return lambda w: f"/portal/{w.entries[state].pk}-{w.entries[state].slug}/"


def _embed(state: str) -> UrlOf:
    return lambda w: f"/portal/embed/{w.entries[state].pk}/"


def _public_files(state: str) -> list[Row]:
    """Every public path of an archive entry: open only once published."""
    allowed = E if state == "published" else r.NOBODY
    issue = "row 2" if state in ("unpublished", "rejected") else ""
    return [
        gate("portal:entry", _entry_page(state), allowed, state=state, issue=issue),
        gate("portal:embed", _embed(state), allowed, state=state, issue=issue),
        gate("portal:video", _entry_url(state, "video.mp4"), allowed, state=state, issue=issue),
        gate("portal:poster", _entry_url(state, "poster.jpg"), allowed, state=state, issue=issue),
        gate(
            "portal:captions", _entry_url(state, "captions.vtt"), allowed, state=state, issue=issue
        ),
        gate(
            "recordings:public-hls",
            lambda w: f"/hls/{w.recordings[state].id.hex}/index.m3u8",
            allowed,
            state=f"broadcast ended, entry {state}",
            issue=issue,
        ),
    ]


def _lists(state: str) -> list[Row]:
    """The archive's lists and feeds show an entry only once it is published."""
    marker = ENTRY_MARKERS[state]
    sees = E if state == "published" else r.NOBODY
    found = state
    pages: list[tuple[str, UrlOf]] = [
        ("portal:index", lambda w: "/portal/"),
        ("portal:search", lambda w: f"/portal/search/?q={marker.lower()}"),
        ("portal:rss", lambda w: "/portal/rss/"),
        ("portal:atom", lambda w: "/portal/atom/"),
        ("portal:rss-unit", lambda w: "/portal/rss/unit/phong/"),
        ("portal:atom-unit", lambda w: "/portal/atom/unit/phong/"),
        ("portal:rss-tag", lambda w: "/portal/rss/tag/matran/"),
        ("portal:atom-tag", lambda w: "/portal/atom/tag/matran/"),
    ]
    rows = [listing(route, url, marker, sees, state=f"entry {found}") for route, url in pages]
    rows.append(
        listing(
            "recordings:sitemap",
            lambda w: "/sitemap.xml",
            marker.lower(),
            sees,
            state=f"entry {found}",
        )
    )
    return rows


def _recording(tail: str, key: str = "meeting") -> UrlOf:
    return lambda w: f"/recordings/{w.recordings[key].id}/{tail}"


PRIVATE = "private meeting recording"


def _review(state: str, tail: str = "") -> UrlOf:
    return lambda w: f"/portal/review/{w.entries[state].pk}/{tail}"


ROWS: list[Row] = [
    *(row for state in ENTRY_STATES for row in _public_files(state)),
    *(row for state in ENTRY_STATES for row in _lists(state)),
    gate(
        "recordings:public-hls",
        lambda w: f"/hls/{w.extra['live'].id.hex}/index.m3u8",
        E,
        state=LIVE,
        prepare=broadcast_live,
    ),
    gate(
        "recordings:public-hls",
        lambda w: f"/hls/{w.recordings['meeting'].id.hex}/index.m3u8",
        r.NOBODY,
        state=PRIVATE,
    ),
    gate("portal:review", lambda w: "/portal/review/", r.EDITORS),
    gate("portal:review-entry", _review("pending"), r.EDITORS, state="entry pending"),
    gate(
        "portal:review-decide",
        _review("pending", "approve/"),
        r.EDITORS,
        method="post",
        state="entry pending",
    ),
    gate(
        "portal:review-decide",
        _review("published", "unpublish/"),
        r.EDITORS,
        method="post",
        state="entry published",
    ),
    gate("recordings:room", lambda w: "/phong/recordings/", r.MEMBERS),
    gate(
        "recordings:start",
        lambda w: "/phong/recordings/start",
        r.HOSTS,
        method="post",
        data=lambda w: {"kind": "meeting"},
    ),
    gate(
        "recordings:stop",
        lambda w: f"/phong/recordings/{w.recordings['meeting'].id}/stop",
        r.HOSTS,
        method="post",
    ),
    gate("recordings:detail", _recording(""), r.MEMBERS, state=PRIVATE),
    # An archived broadcast (pending too): its room's members, and the editors who decide.
    *(
        gate(route, _recording(tail, state), r.MEMBERS | r.EDITORS, state=f"entry {state}")
        for route, tail in (
            ("recordings:detail", ""),
            ("recordings:hls", "hls/index.m3u8"),
            ("recordings:file", "recording.mp4"),
        )
        for state in ENTRY_STATES
    ),
    gate("recordings:hls", _recording("hls/index.m3u8"), r.MEMBERS, state=PRIVATE),
    gate("recordings:file", _recording("recording.mp4"), r.MEMBERS, state=PRIVATE),
    gate("recordings:file", _recording("poster.jpg"), r.MEMBERS, state=PRIVATE),
]
