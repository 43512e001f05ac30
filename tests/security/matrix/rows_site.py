"""Rows of the site's own pages, the rooms pages and the rooms/scheduling REST API."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from tests.security.matrix import roles as r
from tests.security.matrix.table import Row, UrlOf, gate, listing
from tests.security.matrix.world import (
    PRIVATE_BARE,
    PRIVATE_LOGIN_ONLY,
    PRIVATE_MAIN,
    PRIVATE_MANAGER_ONLY,
    PRIVATE_SEEN_BY,
    PUBLIC_MAIN,
    World,
)

E = r.EVERYONE
MAIN_SITE = "Đơn vị phong"  # the main unit's name, as its site's readiness shows it


def _at(world: World, hour: int) -> str:
    zone = timezone.get_current_timezone()
    return datetime.combine(world.day, time(hour), tzinfo=zone).isoformat()


def _session_body(world: World) -> dict[str, object]:
    return {
        "room": "phong",
        "kind": "briefing",
        "title": "Giao ban mới",
        "start": _at(world, 14),
        "end": _at(world, 15),
    }


def _range(world: World) -> str:
    return f"from={world.day.isoformat()}&to={(world.day + timedelta(days=1)).isoformat()}"


def _roster_upload(world: World) -> None:
    from identity.models import RosterUpload
    from rooms.models import Unit

    department = Unit.objects.get(slug="sotinh")
    table = [["Mã định danh", "Họ và tên", "Email", "Mã đơn vị"]]
    upload = RosterUpload.objects.create(department=department, filename="ds.csv", table=table)
    world.extra["roster"] = upload.pk


def _fixed(url: str) -> UrlOf:
    return lambda world: url


def _item(world: World) -> str:
    return f"/api/sites/phong/equipment/{world.extra['item']}/"


SITE: list[Row] = [
    gate("healthz", lambda w: "/healthz", E),
    # Prometheus: by address, not by role. The test client speaks from loopback, the
    # default MEET_METRICS_ALLOWED, so every role passes; strangers' addresses, proxied
    # requests and wrong tokens get 404 in tests/meet/test_metrics.py and tests/e2e.
    gate("metrics", lambda w: "/metrics", E),
    # AGPL section 13: the running source, for everyone.
    gate("source", lambda w: "/source/", E),
    gate("login", lambda w: "/accounts/login/", E, ok=()),
    gate("logout", lambda w: "/accounts/logout/", E, method="post"),
    # Sign-in through providers (identity/): none is configured in this world, so every
    # provider's pages answer 404 to everyone; the failure page answers 401 to everyone.
    # Your own API tokens: any signed-in person has a list (of their own tokens only).
    gate("identity:tokens", lambda w: "/accounts/tokens/", r.SIGNED_IN),
    gate(
        "identity:token-revoke",
        lambda w: "/accounts/tokens/999999/revoke/",
        r.SIGNED_IN,
        method="post",
        state="a token nobody has: a message, nothing revoked",
    ),
    # A department's teacher roster: its room's unit login and manager, administrators.
    gate("identity:roster", lambda w: "/sotinh/roster/", {r.PARENT_UNIT, r.ADMIN}),
    gate(
        "identity:roster-preview",
        lambda w: f"/sotinh/roster/{w.extra['roster']}/",
        {r.PARENT_UNIT, r.ADMIN},
        state="an upload of the department",
        prepare=_roster_upload,
    ),
    gate("socialaccount_login_cancelled", lambda w: "/accounts/login/cancelled/", E),
    gate("socialaccount_login_error", lambda w: "/accounts/login/error/", r.NOBODY),
    *(
        gate(name, _fixed(url), r.NOBODY, method=method, state="no such provider")
        for name, url, method in (
            ("openid_connect_login", "/accounts/oidc/keycloak/login/", "post"),
            ("openid_connect_callback", "/accounts/oidc/keycloak/login/callback/", "get"),
            ("microsoft_login", "/accounts/microsoft/login/", "post"),
            ("microsoft_callback", "/accounts/microsoft/login/callback/", "get"),
            ("google_login", "/accounts/google/login/", "post"),
            ("google_callback", "/accounts/google/login/callback/", "get"),
        )
    ),
    gate(
        "set_language",
        lambda w: "/i18n/setlang/",
        E,
        method="post",
        data=lambda w: {"language": "en", "next": "/"},
    ),
    gate("api-schema", lambda w: "/api/schema/", E),
    gate("api-docs", lambda w: "/api/docs/", E),
    gate("rooms:directory", lambda w: "/", E),
    listing(
        "rooms:sites",
        lambda w: "/sites/",
        MAIN_SITE,
        r.MANAGERS,
        refused=r.NOT_SIGNED_IN,
        state="the main room's site readiness",
    ),
    listing(
        "rooms:room",
        lambda w: "/phong",
        PRIVATE_MAIN,
        PRIVATE_SEEN_BY["private"],
        state="upcoming private",
    ),
    listing("rooms:room", lambda w: "/phong", PUBLIC_MAIN, E, state="upcoming public"),
    gate("rooms:equipment", lambda w: "/phong/equipment/", r.MANAGERS),
    gate(
        "rooms:equipment",
        lambda w: "/phong/equipment/",
        r.MANAGERS,
        method="post",
        data=lambda w: {},
    ),
    gate("rooms:selftest", lambda w: "/phong/selftest/", r.MANAGERS),
]

ROOMS_API: list[Row] = [
    gate("api:api-root", lambda w: "/api/", E),
    gate("api:unit-list", lambda w: "/api/units/", E),
    gate("api:unit-detail", lambda w: "/api/units/phong/", E),
    gate("api:room-list", lambda w: "/api/rooms/", E),
    gate("api:room-detail", lambda w: "/api/rooms/phong/", E),
    listing(
        "api:site-list",
        lambda w: "/api/sites/",
        MAIN_SITE,
        r.MANAGERS,
        refused=r.NOT_SIGNED_IN,
        state="the main room's site readiness",
    ),
    gate("api:site-detail", lambda w: "/api/sites/phong/", r.MANAGERS),
    gate("api:site-equipment", lambda w: "/api/sites/phong/equipment/", r.MANAGERS),
    gate(
        "api:site-equipment",
        lambda w: "/api/sites/phong/equipment/",
        r.MANAGERS,
        method="post",
        as_json=True,
        data=lambda w: {"kind": "webcam", "quantity": 1, "status": "working"},
    ),
    gate("api:site-equipment-item", _item, r.MANAGERS),
    gate(
        "api:site-equipment-item",
        _item,
        r.MANAGERS,
        method="patch",
        as_json=True,
        data=lambda w: {"quantity": 2},
    ),
    gate("api:site-equipment-item", _item, r.MANAGERS, method="delete"),
    gate("api:site-device-tests", lambda w: "/api/sites/phong/device-tests/", r.MANAGERS),
    gate(
        "api:site-device-tests",
        lambda w: "/api/sites/phong/device-tests/",
        r.MANAGERS,
        method="post",
        as_json=True,
        data=lambda w: {"camera_ok": True, "microphone_ok": True, "speakers_ok": True},
    ),
    gate("api:selftest-ping", lambda w: "/api/selftest/ping", r.SIGNED_IN),
    gate("api:selftest-download", lambda w: "/api/selftest/download", r.SIGNED_IN),
]


def _session(key: str) -> UrlOf:
    return lambda w: f"/api/sessions/{w.sessions[key].uid}/"


def _occurrence(key: str, tail: str = "") -> UrlOf:
    return lambda w: f"/api/occurrences/{w.occurrences[key].pk}/{tail}"


SESSIONS = "scheduling-api:session-list"
OCCURRENCES = "scheduling-api:occurrence-list"
MAIN = "private session, room with manager and unit login"
BARE = "private session, room with NEITHER manager NOR unit login"
MANAGER_ONLY = "private session, room with a manager and no unit login"
LOGIN_ONLY = "private session, room with a unit login and no manager"
# Every combination of manager and unit login: (state, marker, session key, who may see).
PRIVATE_STATES = (
    (MAIN, PRIVATE_MAIN, "private", PRIVATE_SEEN_BY["private"]),
    (BARE, PRIVATE_BARE, "bare_private", PRIVATE_SEEN_BY["bare_private"]),
    (MANAGER_ONLY, PRIVATE_MANAGER_ONLY, "manager_only", PRIVATE_SEEN_BY["manager_only"]),
    (LOGIN_ONLY, PRIVATE_LOGIN_ONLY, "login_only", PRIVATE_SEEN_BY["login_only"]),
)


def _private_rows() -> list[Row]:
    """Lists and details of private sessions, in rooms with and without manager or login."""
    rows: list[Row] = []
    for state, marker, key, sees in PRIVATE_STATES:
        issue = "" if key == "private" else "row 1"
        rows += [
            listing(SESSIONS, lambda w: "/api/sessions/", marker, sees, state=state, issue=issue),
            listing(
                OCCURRENCES,
                lambda w: f"/api/occurrences/?{_range(w)}",
                marker,
                sees,
                state=state,
                issue=issue,
            ),
            gate("scheduling-api:session-detail", _session(key), sees, state=state, issue=issue),
            gate("scheduling-api:occurrence-detail", _occurrence(key), sees, state=state),
        ]
    return rows


SCHEDULING_API: list[Row] = [
    *_private_rows(),
    listing(SESSIONS, lambda w: "/api/sessions/", PUBLIC_MAIN, E, state="public session"),
    gate(
        SESSIONS,
        lambda w: "/api/sessions/",
        r.HOSTS,
        method="post",
        as_json=True,
        data=_session_body,
        state="new session in the main room",
    ),
    gate("scheduling-api:session-detail", _session("public"), E, state="public session"),
    gate(
        "scheduling-api:session-detail",
        _session("public"),
        r.HOSTS,
        method="patch",
        as_json=True,
        data=lambda w: {"title": "Đổi tên"},
        state="public session",
    ),
    gate(
        "scheduling-api:session-detail",
        _session("bare_private"),
        r.ADMINS,
        method="patch",
        as_json=True,
        data=lambda w: {"title": "Đổi tên"},
        state=BARE,
    ),
    gate(
        "scheduling-api:session-detail",
        _session("public"),
        r.HOSTS,
        method="delete",
        state="public session",
    ),
    listing(
        OCCURRENCES,
        lambda w: f"/api/occurrences/?{_range(w)}",
        PUBLIC_MAIN,
        E,
        state="public session",
    ),
    gate("scheduling-api:occurrence-detail", _occurrence("public"), E, state="public session"),
    gate(
        "scheduling-api:occurrence-cancel",
        _occurrence("public", "cancel/"),
        r.HOSTS,
        method="post",
        state="public session",
    ),
    gate(
        "scheduling-api:occurrence-cancel",
        _occurrence("bare_private", "cancel/"),
        r.ADMINS,
        method="post",
        state="private session, room with NEITHER manager NOR unit login",
    ),
    gate(
        "scheduling-api:occurrence-change",
        _occurrence("public", "change/"),
        r.HOSTS,
        method="post",
        as_json=True,
        state="public session",
        data=lambda w: {"start": _at(w, 16), "end": _at(w, 17)},
    ),
    listing(
        "scheduling-api:invitation-list",
        lambda w: "/api/invitations/",
        PRIVATE_MAIN,
        r.MANAGERS | {r.OTHER_MANAGER},
        refused=r.NOT_SIGNED_IN,
        state="main room's private session invites khac",
    ),
    gate(
        "scheduling-api:invitation-detail",
        lambda w: f"/api/invitations/{w.invitation.pk}/",
        r.MANAGERS | {r.OTHER_MANAGER},
        state="main room's private session invites khac",
    ),
    gate(
        "scheduling-api:invitation-reply",
        lambda w: f"/api/invitations/{w.invitation.pk}/reply/",
        {r.OTHER_MANAGER, r.ADMIN},
        method="post",
        as_json=True,
        data=lambda w: {"reply": "yes"},
        state="main room's private session invites khac",
    ),
    gate(
        "scheduling-api:attendance-list",
        lambda w: f"/api/attendance/?occurrence={w.occurrences['public'].pk}",
        r.HOSTS,
    ),
    gate(
        "scheduling-api:attendance-list",
        lambda w: "/api/attendance/",
        r.HOSTS,
        method="post",
        as_json=True,
        data=lambda w: {
            "occurrence": w.occurrences["public"].pk,
            "name": "Khách",
            "joined_at": _at(w, 8),
        },
    ),
]

ROWS: list[Row] = SITE + ROOMS_API + SCHEDULING_API
