"""Scheduling benchmark: conflict check, feed rendering, occurrences across rooms.

Runs against a throw-away SQLite database (or DATABASE_URL's server with --use-env-db).
Prints a table and, last, one JSON line. Compare ratios, not absolute times: the machine
is shared. Usage: .venv/bin/python bench/scheduling.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if "--use-env-db" not in sys.argv:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from rooms.models import Room, Unit, UnitKind  # noqa: E402
from scheduling.domain.conflicts import Slot, find_conflicts, find_conflicts_naive  # noqa: E402
from scheduling.domain.recurrence import Rule, expand  # noqa: E402
from scheduling.errors import ScheduleConflict  # noqa: E402
from scheduling.ical import calendar_for  # noqa: E402
from scheduling.models import Occurrence, Session  # noqa: E402
from scheduling.services.sessions import _conflicts  # noqa: E402

T0 = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)  # a Monday, 08:00 in Hà Nội


def timed(fn, repeat: int = 20) -> list[float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    return runs


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def make_room(slug: str, unit: Unit | None = None) -> Room:
    unit = unit or Unit.objects.create(
        code=f"B-{slug}", kind=UnitKind.DISTRICT, name=slug, slug=slug
    )
    return Room.objects.create(unit=unit, slug=slug)


def unit_of(room: Room) -> Unit:
    assert room.unit is not None
    return room.unit


def fill(room: Room, count: int) -> Session:
    """A room holding ``count`` meetings: 2 h slots on weekday mornings and afternoons."""
    session = Session.objects.create(
        kind="training",
        title="busy",
        host_unit=unit_of(room),
        room=room,
        start=T0,
        end=T0 + timedelta(hours=1),
    )
    slots: list[Occurrence] = []
    moment = T0 - timedelta(days=30)
    while len(slots) < count:
        for hour in (3, 7):  # 10:00 and 14:00 local, clear of the 08:00 briefing
            start = moment + timedelta(hours=hour)
            slots.append(
                Occurrence(
                    session=session,
                    room=room,
                    original_start=start,
                    start=start,
                    end=start + timedelta(hours=2),
                )
            )
        moment += timedelta(days=1)
    Occurrence.objects.bulk_create(slots[:count], batch_size=2000)
    return session


def two_year_series() -> list[Slot]:
    starts = expand(T0, Rule("WEEKLY", weekdays=("MO",)), until=T0 + timedelta(days=730))
    return [Slot(s, s + timedelta(minutes=90)) for s in starts]


def bench_conflicts(rows: list[list[str]]) -> dict[str, float]:
    series = two_year_series()
    results: dict[str, float] = {}
    for n in (100, 1_000, 10_000):
        room = make_room(f"busy{n}")
        fill(room, n)

        def check(room: Room = room) -> None:
            try:
                _conflicts(room, series, exclude=None)
            except ScheduleConflict:
                raise SystemExit("unexpected conflict in the benchmark data") from None

        db_runs = timed(check, 20)
        existing = [Slot(o.start, o.end) for o in Occurrence.objects.filter(room=room)]
        sweep = timed(lambda existing=existing: find_conflicts(series, existing), 20)
        naive = timed(lambda existing=existing: find_conflicts_naive(series, existing), 3)
        results[f"conflict_db_p50_ms_{n}"] = statistics.median(db_runs)
        results[f"sweep_ms_{n}"] = statistics.median(sweep)
        results[f"naive_ms_{n}"] = statistics.median(naive)
        rows.append(
            [
                f"conflict check, {len(series)} meetings vs {n:,}",
                f"{statistics.median(db_runs):.2f}",
                f"{p(db_runs, 95):.2f}",
                f"sweep {statistics.median(sweep):.2f} / all-pairs {statistics.median(naive):.1f}",
            ]
        )
    return results


def bench_feed(rows: list[list[str]]) -> float:
    room = make_room("feedroom")
    for i in range(100):
        start = T0 + timedelta(days=i % 5, hours=i // 5 % 8)
        session = Session.objects.create(
            kind="briefing",
            title=f"Chuỗi {i}",
            host_unit=unit_of(room),
            room=room,
            start=start,
            end=start + timedelta(minutes=30),
            rrule="FREQ=WEEKLY;COUNT=30",
        )
        Occurrence.objects.bulk_create(
            Occurrence(
                session=session,
                room=room,
                original_start=start + timedelta(weeks=w),
                start=start + timedelta(weeks=w, minutes=15 if w < 10 else 0),
                end=start + timedelta(weeks=w, minutes=45 if w < 10 else 30),
                overridden=w < 10,
            )
            for w in range(30)
        )
    from scheduling.selectors import room_feed_sessions

    runs = timed(lambda: calendar_for(room_feed_sessions(room=room), name="feed"), 10)
    rows.append(
        [
            "room feed: 100 series, 1,000 overrides",
            f"{statistics.median(runs):.1f}",
            f"{p(runs, 95):.1f}",
            "",
        ]
    )
    return statistics.median(runs)


def bench_occurrences(rows: list[list[str]]) -> float:
    province_unit = Unit.objects.create(
        code="B-PROV", kind=UnitKind.DISTRICT, name="Tỉnh", slug="benchprov"
    )
    rooms = [
        Room(
            unit=Unit.objects.create(
                code=f"R{i}",
                kind=UnitKind.SCHOOL,
                level="C3",
                name=f"T{i}",
                slug=f"r{i}",
                parent=province_unit,
            ),
            slug=f"r{i}",
        )
        for i in range(3000)
    ]
    Room.objects.bulk_create(rooms)
    rooms = list(Room.objects.filter(slug__startswith="r"))
    sessions = Session.objects.bulk_create(
        Session(
            kind="briefing",
            title="Giao ban",
            host_unit=province_unit,
            room=room,
            start=T0,
            end=T0 + timedelta(hours=1),
        )
        for room in rooms
    )
    meetings = [
        Occurrence(
            session=session,
            room=room,
            original_start=T0 + timedelta(weeks=week),
            start=T0 + timedelta(weeks=week),
            end=T0 + timedelta(weeks=week, hours=1),
        )
        for room, session in zip(rooms, sessions, strict=True)
        for week in range(-4, 8)
    ]
    Occurrence.objects.bulk_create(meetings, batch_size=5000)
    client = Client(SERVER_NAME="localhost")
    url = f"/api/occurrences/?from={T0.date()}&to={(T0 + timedelta(days=7)).date()}"
    client.get(url)
    runs = timed(lambda: client.get(url), 30)
    rows.append(
        [
            "/api/occurrences one week, 3,000 rooms (page of 50)",
            f"{statistics.median(runs):.1f}",
            f"{p(runs, 95):.1f}",
            f"{len(meetings):,} meetings in the table",
        ]
    )
    return p(runs, 95)


def main() -> None:
    call_command("migrate", verbosity=0)
    rows: list[list[str]] = []
    conflicts = bench_conflicts(rows)
    feed_ms = bench_feed(rows)
    occ_p95 = bench_occurrences(rows)
    print(f"{'what':<52} {'p50 ms':>8} {'p95 ms':>8}  notes")
    for row in rows:
        print(f"{row[0]:<52} {row[1]:>8} {row[2]:>8}  {row[3]}")
    growth = conflicts["sweep_ms_10000"] / max(conflicts["sweep_ms_100"], 1e-6)
    summary = {
        "conflict_check_ms_10000": round(conflicts["conflict_db_p50_ms_10000"], 2),
        "conflict_sweep_growth_100_to_10000": round(growth, 1),
        "nlogn_bound_100_to_10000": round((10_104 * 13.3) / (204 * 7.7), 1),
        "naive_all_pairs_ms_10000": round(conflicts["naive_ms_10000"], 1),
        "feed_ms": round(feed_ms, 1),
        "occurrences_week_3000_rooms_p95_ms": round(occ_p95, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
