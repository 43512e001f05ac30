"""Issue 10, item 1: the access matrix — every route and message type against every role.

How to add a row
----------------
* A new HTTP route: add a ``gate(...)`` (who passes, everyone else is refused) or a
  ``listing(...)`` (everyone gets 200; only ``sees`` find the marker in the body) to the
  ``ROWS`` of the module for its app in ``tests/security/matrix/`` (``rows_site``,
  ``rows_scheduling``, ``rows_live``, ``rows_archive``, ``rows_competitions``,
  ``rows_courses``). The key is
  the route's name as ``reverse`` knows it (``namespace:name``). Give one row per state
  that changes the answer (private/public session, a room with or without manager, an
  entry's status...); a state the world does not hold is made by the row's ``prepare``
  inside the row's transaction. Admin routes need no row: ``admin_rows`` makes one for each.
* A new WebSocket message type: add it to ``ROOM_RULES`` / ``WATCH_RULES`` (who may send it)
  and a sample frame to ``ROOM_FRAMES`` / ``WATCH_FRAMES`` in ``matrix/sockets.py``.
* Roles are in ``matrix/roles.py``; the world they act in is ``matrix/world.py``, with
  ``PRIVATE_SEEN_BY``: who may see each private session, the one rule every surface
  (API, calendars, .ics, agenda, room page) is checked against.
* A cell that fails for a bug outside issue 10 goes in ``KNOWN_BUGS`` (a strict xfail:
  it fails again, as a reminder, once the bug is fixed).
``test_every_route_has_a_row`` and the message-type tests fail, naming what is missing,
when a route or a message type exists without a row (or a row names one that is gone).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer
from django.test.utils import override_settings

from broadcasts.consumers import reset_rate_limits
from broadcasts.events import get_watch_bus, reset_watch_bus
from broadcasts.presence import reset_counter
from signaling.bus import get_bus, reset_bus
from tests.security.matrix import roles as r
from tests.security.matrix.admin_rows import admin_rows
from tests.security.matrix.room_socket import Broken, RoomDriver, restore
from tests.security.matrix.routes import (
    http_route_keys,
    room_message_types,
    watch_message_types,
    websocket_route_keys,
)
from tests.security.matrix.rows_archive import ROWS as ARCHIVE_ROWS
from tests.security.matrix.rows_competitions import ROWS as COMPETITION_ROWS
from tests.security.matrix.rows_courses import ROWS as COURSE_ROWS
from tests.security.matrix.rows_live import ROWS as LIVE_ROWS
from tests.security.matrix.rows_scheduling import ROWS as SCHEDULING_ROWS
from tests.security.matrix.rows_site import ROWS as SITE_ROWS
from tests.security.matrix.sockets import (
    ROOM_FRAMES,
    ROOM_RULES,
    WATCH_FRAMES,
    WATCH_RULES,
    base_type,
)
from tests.security.matrix.table import Row
from tests.security.matrix.verdict import Answer, send
from tests.security.matrix.watch_socket import WatchDriver, broadcast_off, broadcast_on
from tests.security.matrix.world import World, build_world, empty_database

ROWS: list[Row] = [
    *SITE_ROWS,
    *SCHEDULING_ROWS,
    *LIVE_ROWS,
    *ARCHIVE_ROWS,
    *COMPETITION_ROWS,
    *COURSE_ROWS,
    *admin_rows(),
]
# Cells that fail for a reason outside issue 10's table, each with the bug it shows. Strict:
# once fixed, the cell passes and this entry must go.
KNOWN_BUGS: dict[str, str] = {}
WEBSOCKET_ROUTES = {"ws:ws/rooms/<slug:slug>/", "ws:ws/watch/<slug:slug>/"}


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: pytest.FixtureRequest, tmp_path_factory
) -> Iterator[World]:
    """The world, built and committed once; the database is emptied afterwards."""
    root: Path = tmp_path_factory.mktemp("matrix")
    with override_settings(
        MEET_RECORDINGS_ROOT=root / "recordings",
        MEDIA_ROOT=root / "media",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}},
    ):
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            built = build_world()
        try:
            yield built
        finally:
            with django_db_blocker.unblock():  # type: ignore[attr-defined]
                empty_database()


def test_every_route_has_a_row() -> None:
    """A route without a row (or a row for a route that is gone) fails, by name."""
    enumerated = http_route_keys() | websocket_route_keys()
    covered = {row.route for row in ROWS} | WEBSOCKET_ROUTES
    missing = sorted(enumerated - covered)
    stale = sorted(covered - enumerated)
    assert not missing, f"routes without a row in the access matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


def _judge(row: Row, role: str, answer: Answer) -> str:
    """Why this cell is wrong, or "" when it holds."""
    if answer.status >= 500:
        return f"{role}: crashed ({answer.short()})"
    if row.marker and role not in row.refused:
        if answer.status != 200:
            return f"{role}: expected 200 with the list, got {answer.short()}"
        shown = row.marker.encode() in answer.body
        if shown and role not in row.allow:
            return f"{role}: LEAK — sees {row.marker!r}"
        if not shown and role in row.allow:
            return f"{role}: does not see {row.marker!r}"
        return ""
    allowed = role in row.allow and not row.marker
    if not allowed:
        return "" if answer.refused else f"{role}: LEAK — not refused ({answer.short()})"
    if answer.refused:
        return f"{role}: refused ({answer.short()})"
    if row.ok and answer.status not in row.ok:
        return f"{role}: expected {row.ok}, got {answer.short()}"
    return ""


# Answers to plain GETs of the unchanged world, by (role, path): rows that read the same
# page for another marker or state reuse them (every row's writes are rolled back).
_answers: dict[tuple[int, str, str], Answer] = {}


def _answer(world: World, row: Row, role: str) -> Answer:
    call = row.call(world, role)
    cacheable = row.method == "get" and row.prepare is None and call.data is None
    key = (id(world), role, call.path)
    if cacheable and key in _answers:
        return _answers[key]
    answer = send(call, world.session_keys.get(role, ""))
    if cacheable:
        _answers[key] = answer
    return answer


def _params() -> list[object]:
    return [pytest.param(row, id=row.ident, marks=_known(row.ident)) for row in ROWS]


def _known(ident: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN_BUGS.get(ident)
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


@pytest.mark.parametrize("row", _params())
def test_http_cell(world: World, row: Row, db: None) -> None:
    """Each role's answer to one (route, method, state)."""
    if row.prepare is not None:
        row.prepare(world)
    problems = []
    for role in r.ROLES:
        answer = _answer(world, row, role)
        problem = _judge(row, role, answer)
        if problem:
            problems.append(problem)
    where = f" (issue 10, {row.issue})" if row.issue else ""
    assert not problems, f"{row.ident}{where}:\n  " + "\n  ".join(problems)


# -- WebSocket message types ------------------------------------------------------------------


def test_every_message_type_has_a_row() -> None:
    """A message type without a rule and a sample frame (or a rule for a gone type) fails."""
    for name, enumerated, rules, frames in (
        ("room", room_message_types(), ROOM_RULES, ROOM_FRAMES),
        ("watch", watch_message_types(), WATCH_RULES, WATCH_FRAMES),
    ):
        covered = {base_type(key) for key in rules}
        missing, gone = sorted(enumerated - covered), sorted(covered - enumerated)
        assert not missing, f"{name} socket message types without a row: {missing}"
        assert not gone, f"{name} socket rows for message types that are gone: {gone}"
        assert set(rules) == set(frames), f"{name} socket rows without a frame (or the reverse)"


GENEROUS = {name: (1000.0, 1000) for name in ("default", "chat", "vote", "rtc")}


async def _room_socket_problems(world: World) -> list[str]:
    """Each room-socket message type sent by each role who joined."""
    await db(restore)(world, ended=True)
    driver = RoomDriver(world)
    try:
        meeting_id = await driver.setup()
        for allowed_phase in (False, True):
            for key in ROOM_RULES:
                if allowed_phase and key == "mod.end":
                    continue  # it ends the meeting: end_by_each_host
                for role in sorted(driver.sockets):
                    if (role in ROOM_RULES[key]) == allowed_phase:
                        await driver.check(key, role, meeting_id)
        await driver.end_by_each_host()
    except Broken as broken:
        driver.problems.append(str(broken))
    finally:
        await driver.close_all()
        await get_bus().close()
        reset_bus()
        await get_channel_layer().flush()
        await db(restore)(world, ended=False)
    return driver.problems


async def _watch_socket_problems(world: World) -> list[str]:
    """Each watch-socket message type sent by every role and every moderation panel."""
    reset_counter()
    reset_rate_limits()
    reset_watch_bus()
    question, session = await db(broadcast_on)(world)
    driver = WatchDriver(world, question)
    try:
        await driver.setup()
        for allowed_phase in (False, True):
            for key in WATCH_RULES:
                for name in sorted(driver.sockets):
                    if (name in WATCH_RULES[key]) == allowed_phase:
                        await driver.check(key, name)
    except Broken as broken:
        driver.problems.append(str(broken))
    finally:
        await driver.close_all()
        await get_watch_bus().close()
        reset_watch_bus()
        await get_channel_layer().flush()
        await db(broadcast_off)(world, session)
        reset_counter()
        reset_rate_limits()
    return driver.problems


# Transactional: the consumers' threads must see the committed world. The database is
# flushed after it, so the world fixture is torn down with it (it is the module's last).
@pytest.mark.django_db(transaction=True)
async def test_websocket_messages(world: World) -> None:
    """Issue 10, item 1: every message type of the room and watch sockets as every role;
    host- and presenter-only messages are refused to the others and change nothing."""
    with override_settings(MEET_LIVE_RATE_LIMITS=GENEROUS):
        reset_bus()
        problems = await _room_socket_problems(world)
        problems += await _watch_socket_problems(world)
    assert not problems, "\n".join(problems)
