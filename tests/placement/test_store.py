"""Placement in a real Redis: least loaded first, rooms kept together, headroom kept,
dead workers' rooms handed out once."""

from __future__ import annotations

import asyncio
import random

from placement.costs import MemberLoad, meeting_member, viewer_member
from placement.store import Placement, Seat, WorkerCard


def card(name: str, capacity: int = 100) -> WorkerCard:
    return WorkerCard(id=name, capacity_units=capacity, channel=f"media-worker.{name}")


async def seat(places: Placement, room: str, load: MemberLoad, pipe_units: int = 0) -> Seat:
    """Place a member that must fit."""
    placed = await places.place(room, load, pipe_units=pipe_units)
    assert placed is not None
    return placed


async def test_first_member_goes_to_the_least_loaded_worker(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    for name in ("a", "b", "c"):
        assert await places.heartbeat(card(name))
    busy = MemberLoad(videos_seen=30, publishes=False)
    assert (await seat(places, "r1", busy)).worker == "a"
    assert (await seat(places, "r2", busy)).worker == "b"
    assert await seat(places, "r3", meeting_member(10)) == Seat(
        worker="c", channel="media-worker.c", units=10
    )
    assert {w.id: w.booked_units for w in await places.workers()} == {"a": 30, "b": 30, "c": 10}


async def test_a_room_stays_on_its_worker_while_that_worker_has_headroom(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.heartbeat(card("b"))
    member = meeting_member(10)  # 9 videos seen + its own upload: 10 units
    seats = [await seat(places, "briefing", member, 5) for _ in range(8)]
    # a takes 8 × 10 = 80 units = the admission ratio; nothing went to the idle b.
    assert {s.worker for s in seats} == {"a"}
    assert await places.room_units("briefing") == {"a": 80}


async def test_a_room_that_outgrows_its_worker_spans_another_with_one_pipe(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.heartbeat(card("b"))
    member = meeting_member(10)
    seats = [await seat(places, "briefing", member, 5) for _ in range(10)]
    assert [s.worker for s in seats] == ["a"] * 8 + ["b"] * 2
    # The first member on b brought the room's five published streams there once.
    assert [s.units for s in seats[8:]] == [15, 10]
    assert await places.room_units("briefing") == {"a": 80, "b": 25}


async def test_the_last_member_on_a_worker_gives_the_pipe_back(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.heartbeat(card("b"))
    member = meeting_member(10)
    seats = [await seat(places, "briefing", member, 5) for _ in range(10)]
    await places.leave("briefing", seats[9], member)
    assert await places.room_units("briefing") == {"a": 80, "b": 15}
    await places.leave("briefing", seats[8], member)
    assert await places.room_units("briefing") == {"a": 80}
    assert {w.id: w.booked_units for w in await places.workers()} == {"a": 80, "b": 0}


async def test_no_worker_is_filled_past_the_admission_ratio(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.heartbeat(card("b", capacity=50))
    member = meeting_member(10)
    seats = [await places.place(f"r{i % 3}", member, pipe_units=2) for i in range(20)]
    placed = [s for s in seats if s is not None]
    assert seats[-1] is None  # full: the join waits instead of overloading a worker
    for worker in await places.workers():
        assert worker.booked_units <= 0.8 * worker.capacity_units
    assert sum(s.units for s in placed) == sum(w.booked_units for w in await places.workers())


async def test_a_join_storm_from_many_callers_keeps_the_headroom(client, prefix) -> None:
    """Concurrent callers (like several web processes) cannot book the same headroom twice."""
    places = Placement(client, prefix=prefix)
    for name in ("a", "b", "c"):
        await places.heartbeat(card(name, capacity=200))

    async def caller(first: int) -> list[Seat | None]:
        return [
            await places.place(f"room{i % 7}", viewer_member(), pipe_units=1)
            for i in range(first, first + 30)
        ]

    batches = await asyncio.gather(*(caller(30 * n) for n in range(20)))
    placed = [s for batch in batches for s in batch if s is not None]
    loads = await places.workers()
    assert all(w.booked_units <= 160 for w in loads)
    assert sum(s.units for s in placed) == sum(w.booked_units for w in loads)
    assert len(placed) >= 3 * 160 - 7 * 3  # full but for the pipes of the spanned rooms


async def test_random_joins_and_leaves_keep_the_books_balanced(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    for name in ("a", "b", "c", "d"):
        await places.heartbeat(card(name, capacity=random.Random(name).randint(60, 200)))
    rng = random.Random(14)
    present: list[tuple[str, Seat, MemberLoad]] = []
    for _ in range(400):
        if present and rng.random() < 0.4:
            room, gone, load = present.pop(rng.randrange(len(present)))
            await places.leave(room, gone, load)
        else:
            room, load = f"r{rng.randrange(6)}", meeting_member(rng.randint(2, 40))
            placed = await places.place(room, load, pipe_units=rng.randint(1, 9))
            if placed is not None:
                present.append((room, placed, load))
        loads = await places.workers()
        assert all(w.booked_units <= 0.8 * w.capacity_units for w in loads)
        rooms = [await places.room_units(f"r{i}") for i in range(6)]
        for worker in loads:
            assert worker.booked_units == sum(r.get(worker.id, 0) for r in rooms)
    for room, placed, load in present:
        await places.leave(room, placed, load)
    assert all(w.booked_units == 0 for w in await places.workers())


async def test_a_dead_workers_rooms_go_to_exactly_one_reaper(client, prefix) -> None:
    # Leases of a second, beats every 0.2 s: b stays alive even when a busy machine (CI's
    # two passes side by side) delays a beat by several tenths.
    places = Placement(client, prefix=prefix, worker_ttl_ms=1000, room_lease_ms=1000)
    await places.heartbeat(card("a"))
    await places.heartbeat(card("b"))
    member = meeting_member(10)
    for room in ("r1", "r2"):
        for _ in range(5):
            await places.place(room, member, pipe_units=1)
    hosts = {room: set(await places.room_units(room)) for room in ("r1", "r2")}
    assert hosts == {"r1": {"a"}, "r2": {"b"}}
    for _ in range(7):  # b keeps beating, a stops
        await asyncio.sleep(0.2)
        await places.heartbeat(card("b"))
    other = Placement(client, prefix=prefix)
    first, second = await asyncio.gather(places.reap(), other.reap())
    moved = first + second
    assert [(m.worker, m.room) for m in moved] == [("a", "r1")]
    assert [w.id for w in await places.workers()] == ["b"]
    # b's room kept its lease through b's beats; a's room is placed again, on b.
    assert await places.room_units("r2") == {"b": 50}
    assert (await seat(places, "r1", member, 1)).worker == "b"


async def test_a_worker_declared_dead_learns_it_on_its_next_beat(client, prefix) -> None:
    places = Placement(client, prefix=prefix, worker_ttl_ms=200, room_lease_ms=200)
    assert await places.heartbeat(card("a"))
    assert not await places.heartbeat(card("a"))
    await places.place("r1", meeting_member(4), pipe_units=1)
    await asyncio.sleep(0.3)  # a stalled longer than its lease
    assert [m.room for m in await places.reap()] == ["r1"]
    assert await places.heartbeat(card("a"))  # registered anew, with nothing booked
    assert [(w.id, w.booked_units) for w in await places.workers()] == [("a", 0)]


async def test_a_retired_worker_is_reaped_at_once(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.place("r1", meeting_member(4), pipe_units=1)
    await places.retire("a")
    assert [m.room for m in await places.reap()] == ["r1"]
    assert await places.place("r1", meeting_member(4), pipe_units=1) is None


async def test_members_placed_together_are_placed_one_by_one_in_order(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.heartbeat(card("b", capacity=40))
    member = meeting_member(10)
    seats = await places.place_many("briefing", [member] * 12, pipe_units=3)
    # a to its 80 units, then b (with the pipe) to its 32, then nothing left.
    assert [s.worker if s else None for s in seats] == ["a"] * 8 + ["b"] * 2 + [None] * 2
    assert await places.room_units("briefing") == {"a": 80, "b": 23}


async def test_a_room_that_may_not_span_stays_on_its_worker_past_the_headroom(
    client, prefix
) -> None:
    """Issue 14: until its workers can share a room, a full room's members join its worker
    (elsewhere they would meet nobody); new rooms still go to the least loaded worker."""
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.heartbeat(card("b"))
    member = meeting_member(10)
    seats = [await places.place("briefing", member, pipe_units=5, span=False) for _ in range(10)]
    assert [s.worker if s else None for s in seats] == ["a"] * 10
    assert await places.room_units("briefing") == {"a": 100}
    other = await places.place("other", member, pipe_units=5, span=False)
    assert other is not None and other.worker == "b"
    assert await places.room_hosts("briefing") == [Seat("a", "media-worker.a", 100)]


async def test_room_hosts_names_only_live_workers_most_booked_first(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    for name in ("a", "b", "c"):
        await places.heartbeat(card(name))
    member = meeting_member(10)
    for _ in range(10):
        await seat(places, "briefing", member, 5)  # 8 on a, then 2 (and the pipe) on b
    assert [(s.worker, s.units) for s in await places.room_hosts("briefing")] == [
        ("a", 80),
        ("b", 25),
    ]
    await places.retire("a")
    assert await places.room_hosts("briefing") == [Seat("b", "media-worker.b", 25)]
    assert await places.room_hosts("nowhere") == []


async def test_what_a_gone_web_process_booked_is_given_back_by_one_sweeper(client, prefix) -> None:
    """Issue 14, item 5: a killed daphne's sockets never leave; its lease runs out and
    one sweeper gives their units back, as their leaves would have."""
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    member, viewer = meeting_member(10), viewer_member()
    await places.web_beat("p1", ttl_ms=200)
    await places.web_beat("p2", ttl_ms=60_000)
    for process, load in (("p1", member), ("p1", member), ("p1", viewer), ("p2", member)):
        booked = await seat(places, "r", load)
        await places.web_note(process, "r", booked, load, 1)
    left = await seat(places, "r", member)  # p1's third member leaves in time
    await places.web_note("p1", "r", left, member, 1)
    await places.leave("r", left, member)
    await places.web_note("p1", "r", left, member, -1)
    assert await places.room_units("r") == {"a": 31}
    await places.web_beat("p2", ttl_ms=60_000)
    assert await places.sweep_webs() == 0  # p1 is still alive
    await asyncio.sleep(0.3)  # p1 stops renewing: killed
    other = Placement(client, prefix=prefix)
    returned = await asyncio.gather(places.sweep_webs(), other.sweep_webs())
    assert sorted(returned) == [0, 21]
    assert await places.room_units("r") == {"a": 10}  # p2's member, still in the room
    assert {w.id: w.booked_units for w in await places.workers()} == {"a": 10}
    assert await client.hgetall(f"{prefix}:web:p1") == {}
    assert await client.smembers(f"{prefix}:webs") == {b"p2"}


async def test_the_last_gone_member_frees_the_room_on_its_worker(client, prefix) -> None:
    places = Placement(client, prefix=prefix)
    await places.heartbeat(card("a"))
    await places.web_beat("p1", ttl_ms=100)
    for _ in range(2):
        booked = await seat(places, "r", meeting_member(10), pipe_units=3)
        await places.web_note("p1", "r", booked, meeting_member(10), 1)
    await asyncio.sleep(0.2)
    assert await places.sweep_webs() == 20
    assert await places.room_units("r") == {}
    assert await client.smembers(f"{prefix}:wr:a") == set()
