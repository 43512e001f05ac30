"""Rows of the scheduling pages and iCalendar feeds."""

from __future__ import annotations

from collections.abc import Callable

from tests.security.matrix import roles as r
from tests.security.matrix.table import Row, UrlOf, gate, listing
from tests.security.matrix.world import (
    PRIVATE_BARE,
    PRIVATE_MAIN,
    PRIVATE_SEEN_BY,
    PUBLIC_MAIN,
    World,
)

E = r.EVERYONE
SEEN = PRIVATE_SEEN_BY
MAIN = "private session, room with manager and unit login"
BARE = "private session, room with NEITHER manager NOR unit login"
CHILD = "parent's calendar scope=unit: a child room's private session"


def _week(slug: str, extra: str = "") -> UrlOf:
    return lambda w: f"/{slug}/calendar/?week={w.day.isoformat()}{extra}"


def _month(slug: str, extra: str = "") -> UrlOf:
    return lambda w: f"/{slug}/calendar/month/?month={w.day:%Y-%m}{extra}"


def _occ(tail: str, key: str = "public") -> UrlOf:
    return lambda w: f"/phong/occurrences/{w.occurrences[key].pk}/{tail}"


def _ics(key: str) -> UrlOf:
    return lambda w: f"/calendar/sessions/{w.sessions[key].uid}.ics"


def _calendar_rows(route: str, page: Callable[[str, str], UrlOf]) -> list[Row]:
    """A room's calendar page, and its parent's with ``scope=unit``: one rule with the
    session's .ics (issue 10, row 8: the unit view showed what the .ics refused)."""
    unit_view = page("sotinh", "&scope=unit")
    return [
        listing(route, page("phong", ""), PUBLIC_MAIN, E, state="public session"),
        listing(route, page("phong", ""), PRIVATE_MAIN, SEEN["private"], state=MAIN),
        listing(route, page("tran", ""), PRIVATE_BARE, SEEN["bare_private"], state=BARE),
        listing(route, unit_view, PRIVATE_MAIN, SEEN["private"], state=CHILD, issue="row 8"),
        listing(
            route,
            unit_view,
            PRIVATE_BARE,
            SEEN["bare_private"],
            state="parent's calendar scope=unit: " + BARE,
            issue="row 8",
        ),
    ]


def _invitation(tail: str) -> UrlOf:
    return lambda w: f"/khac/invitations/{w.invitation.pk}/{tail}"


def _feed(key: str) -> UrlOf:
    return lambda w: f"/calendar/feeds/{w.feeds[key]}.ics"


def _agenda(w: World) -> str:
    return f"/calendar/?province=matran&week={w.day.isoformat()}"


ROWS: list[Row] = [
    listing("scheduling:agenda", _agenda, PUBLIC_MAIN, E, state="public session"),
    listing("scheduling:agenda", _agenda, PRIVATE_MAIN, SEEN["private"], state=MAIN),
    listing("scheduling:agenda", _agenda, PRIVATE_BARE, SEEN["bare_private"], state=BARE),
    gate("scheduling:feed-renew", lambda w: "/calendar/feeds/renew/", r.SIGNED_IN, method="post"),
    listing(
        "scheduling:private-feed",
        _feed("manager"),
        PRIVATE_MAIN,
        E,
        state="the manager's own feed: the secret address is the key",
    ),
    gate(
        "scheduling:private-feed",
        _feed("deactivated"),
        r.NOBODY,
        state="feed of a deactivated user",
        issue="row 7",
    ),
    listing(
        "scheduling:room-feed",
        lambda w: "/calendar/rooms/phong.ics",
        PUBLIC_MAIN,
        E,
        state="public session",
    ),
    listing(
        "scheduling:room-feed",
        lambda w: "/calendar/rooms/phong.ics",
        PRIVATE_MAIN,
        r.NOBODY,
        state=MAIN,
    ),
    listing(
        "scheduling:room-feed",
        lambda w: "/calendar/rooms/tran.ics",
        PRIVATE_BARE,
        r.NOBODY,
        state=BARE,
    ),
    gate("scheduling:session-ics", _ics("public"), E, state="public session"),
    gate("scheduling:session-ics", _ics("private"), SEEN["private"], state=MAIN, issue="row 8"),
    gate("scheduling:session-ics", _ics("bare_private"), SEEN["bare_private"], state=BARE),
    gate(
        "scheduling:session-ics",
        _ics("manager_only"),
        SEEN["manager_only"],
        state="private session, room with a manager and no unit login",
    ),
    gate(
        "scheduling:session-ics",
        _ics("login_only"),
        SEEN["login_only"],
        state="private session, room with a unit login and no manager",
    ),
    *_calendar_rows("scheduling:room-week", _week),
    *_calendar_rows("scheduling:room-month", _month),
    gate("scheduling:session-new", lambda w: "/phong/sessions/new/", r.HOSTS),
    gate(
        "scheduling:session-new",
        lambda w: "/phong/sessions/new/",
        r.HOSTS,
        method="post",
        data=lambda w: {},
    ),
    gate(
        "scheduling:session-new",
        lambda w: "/tran/sessions/new/",
        r.ADMINS,
        state="room with NEITHER manager NOR unit login",
    ),
    gate(
        "scheduling:session-edit",
        lambda w: f"/phong/sessions/{w.sessions['private'].uid}/edit/",
        r.HOSTS,
        state=MAIN,
    ),
    gate(
        "scheduling:session-edit",
        lambda w: f"/tran/sessions/{w.sessions['bare_private'].uid}/edit/",
        r.ADMINS,
        state=BARE,
    ),
    gate("scheduling:occurrence", _occ(""), r.HOSTS),
    gate("scheduling:occurrence", _occ("", "private"), r.HOSTS, state=MAIN),
    gate("scheduling:occurrence-csv", _occ("attendance.csv"), r.HOSTS),
    gate("scheduling:occurrence-pdf", _occ("attendance.pdf"), r.HOSTS),
    gate("scheduling:occurrence-move", _occ("move/"), r.HOSTS, method="post", data=lambda w: {}),
    gate(
        "scheduling:document-upload", _occ("documents/"), r.HOSTS, method="post", data=lambda w: {}
    ),
    gate(
        "scheduling:occurrence-cancel", _occ("cancel/"), r.HOSTS, method="post", data=lambda w: {}
    ),
    gate(
        "scheduling:document",
        lambda w: f"/calendar/documents/{w.document.pk}/",
        r.MEMBERS,
        state="document of a public session",
    ),
    gate("scheduling:site-invitations", lambda w: "/phong/invitations/", r.MANAGERS),
    gate(
        "scheduling:site-invitations",
        lambda w: "/khac/invitations/",
        {r.OTHER_MANAGER, r.ADMIN},
        state="the invited site's page",
    ),
    gate(
        "scheduling:invitation-reply",
        _invitation("reply/"),
        {r.OTHER_MANAGER, r.ADMIN},
        method="post",
        data=lambda w: {"reply": "yes"},
    ),
    gate(
        "scheduling:meeting-reply",
        lambda w: (
            f"/khac/invitations/{w.invitation.pk}/meetings/{w.occurrences['private'].pk}/reply/"
        ),
        {r.OTHER_MANAGER, r.ADMIN},
        method="post",
        data=lambda w: {"reply": "yes"},
    ),
    gate("scheduling:unit-report", lambda w: "/phong/report/", r.MANAGERS),
    gate(
        "scheduling:unit-report",
        lambda w: f"/phong/report/?year={w.day.year}&format=csv",
        r.MANAGERS,
        state="CSV",
    ),
    gate(
        "scheduling:unit-report",
        lambda w: f"/phong/report/?year={w.day.year}&format=pdf",
        r.MANAGERS,
        state="PDF",
    ),
    gate("scheduling:ics-import", lambda w: "/phong/import/", r.HOSTS),
]
