"""Media workers and room leases in Redis: register, renew, place, leave, reap.

A worker exists while its heartbeat key lives (``worker_ttl_ms``, renewed every
``heartbeat_secs``); a room's lease lives while one of its workers renews it. A member
is placed on one of the room's own workers while that worker stays under the admission
ratio, otherwise on the least loaded live worker (the room then spans both). When a
worker stops renewing, ``reap`` hands its rooms to exactly one caller, which tells their
members to join again (``place`` puts them on live workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from placement import scripts
from placement.costs import ADMIT_RATIO, MemberLoad

DEFAULT_PREFIX = "meet:placement"
# A worker renews every second; three missed beats and it is gone (issue 14: media back
# within 10 s of a kill leaves ~7 s for the members to be told and to reconnect).
HEARTBEAT_SECS = 1.0
WORKER_TTL_MS = 3_000
ROOM_LEASE_MS = 3_000
# A web process renews its lease every second (its reaper does); ten seconds without a
# renewal and what its sockets booked is given back (they will never say goodbye).
WEB_TTL_MS = 10_000
# place() tries this many of the least loaded workers: enough to pass over a few dead or
# full ones, few enough that a placement stays a short script on a large cluster.
SCAN_WORKERS = 32


@dataclass(frozen=True)
class WorkerCard:
    """What a worker says about itself when it renews its registration."""

    id: str
    capacity_units: int
    channel: str


@dataclass(frozen=True)
class Seat:
    """Where a member was placed, and what it booked there (give it back on leave)."""

    worker: str
    channel: str
    units: int


@dataclass(frozen=True)
class WorkerLoad:
    """A live worker's booked share, for health pages and benchmarks."""

    id: str
    capacity_units: int
    booked_units: int

    @property
    def share(self) -> float:
        return self.booked_units / self.capacity_units if self.capacity_units else 0.0


@dataclass(frozen=True)
class Moved:
    """A room that had members on a worker that is gone."""

    worker: str
    room: str


class Placement:
    """Placement over one Redis, shared by web processes and workers (asyncio client)."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = DEFAULT_PREFIX,
        worker_ttl_ms: int = WORKER_TTL_MS,
        room_lease_ms: int = ROOM_LEASE_MS,
        admit_ratio: float = ADMIT_RATIO,
        scan_workers: int = SCAN_WORKERS,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.worker_ttl_ms = worker_ttl_ms
        self.room_lease_ms = room_lease_ms
        self.admit_ratio = admit_ratio
        self.scan_workers = scan_workers
        self._heartbeat = client.register_script(scripts.HEARTBEAT)
        self._place = client.register_script(scripts.PLACE)
        self._leave = client.register_script(scripts.LEAVE)
        self._reap = client.register_script(scripts.REAP)
        self._sweep_webs = client.register_script(scripts.SWEEP_WEBS)
        self._note = client.register_script(scripts.NOTE)

    async def heartbeat(self, card: WorkerCard) -> bool:
        """Register or renew a worker and its rooms' leases; True when (re)registered."""
        return bool(await self._heartbeat(args=self._beat_args(card)))

    async def heartbeat_many(self, cards: list[WorkerCard]) -> list[bool]:
        """Renew many workers in one round trip (stand-in fleets of benchmarks and tests)."""
        async with self.client.pipeline(transaction=False) as pipe:
            for card in cards:
                await self._heartbeat(args=self._beat_args(card), client=pipe)
            return [bool(answer) for answer in await pipe.execute()]

    def _beat_args(self, card: WorkerCard) -> list[str | int]:
        return [
            self.prefix,
            card.id,
            card.capacity_units,
            card.channel,
            self.worker_ttl_ms,
            self.room_lease_ms,
        ]

    async def retire(self, worker_id: str) -> None:
        """A worker that stops on purpose leaves at once instead of timing out."""
        await self.client.delete(f"{self.prefix}:w:{worker_id}")

    async def place(
        self, room: str, load: MemberLoad, *, pipe_units: int, span: bool = True
    ) -> Seat | None:
        """Book a member of ``room`` on a worker; None when every worker is full.

        With ``span`` False a room that has a live worker stays on it whatever its load
        (the web side's choice until its workers can share a room: issue 14, item 3)."""
        args = self._place_args(room, load, pipe_units)
        return _seat(await self._place(args=[*args, 1 if span else 0]))

    async def place_many(
        self, room: str, loads: list[MemberLoad], *, pipe_units: int
    ) -> list[Seat | None]:
        """Place several members of one room in one round trip, one script each: a web
        process moving its members off a dead worker does not wait for each answer."""
        async with self.client.pipeline(transaction=False) as pipe:
            for load in loads:
                await self._place(args=self._place_args(room, load, pipe_units), client=pipe)
            answers = await pipe.execute()
        return [_seat(answer) for answer in answers]

    def _place_args(self, room: str, load: MemberLoad, pipe_units: int) -> list[str | int | float]:
        return [
            self.prefix,
            room,
            load.units,
            pipe_units,
            self.admit_ratio,
            self.room_lease_ms,
            self.scan_workers,
        ]

    async def leave(self, room: str, seat: Seat, load: MemberLoad) -> None:
        """Give a member's units back (the pipe too when it was the last one there)."""
        await self._leave(args=[self.prefix, room, seat.worker, load.units])

    async def reap(self) -> list[Moved]:
        """Forget the workers that stopped renewing; each of their rooms goes to one caller."""
        flat = await self._reap(args=[self.prefix])
        pairs = [_text(item) for item in flat]
        return [Moved(worker=w, room=r) for w, r in zip(pairs[::2], pairs[1::2], strict=True)]

    async def web_beat(self, process: str, *, ttl_ms: int = WEB_TTL_MS) -> None:
        """Renew a web process's lease on what its sockets booked."""
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.set(f"{self.prefix}:web-alive:{process}", 1, px=ttl_ms)
            pipe.sadd(f"{self.prefix}:webs", process)
            await pipe.execute()

    async def web_note(self, process: str, room: str, seat: Seat, load: MemberLoad, n: int) -> None:
        """Note in web process ``process``'s ledger a member booked (1) or given back (-1)."""
        field = f"{room}\n{seat.worker}\n{load.units}"
        await self._note(args=[f"{self.prefix}:web:{process}", field, n])

    async def sweep_webs(self) -> int:
        """Give back what gone web processes booked; each goes to one caller. Units returned."""
        return int(await self._sweep_webs(args=[self.prefix]))

    async def workers(self) -> list[WorkerLoad]:
        """Every live worker with its booked units, least loaded first."""
        ids = [_text(i) for i in await self.client.zrange(f"{self.prefix}:load", 0, -1)]
        loads = []
        for worker_id in ids:
            fields = await self.client.hmget(f"{self.prefix}:w:{worker_id}", "capacity", "booked")
            if fields[0] is None:
                continue
            loads.append(WorkerLoad(worker_id, int(fields[0]), int(fields[1] or 0)))
        return loads

    async def room_hosts(self, room: str) -> list[Seat]:
        """The live workers ``room`` books units on, the most booked first (no booking)."""
        hosts = []
        for worker_id, units in (await self.room_units(room)).items():
            channel = await self.client.hget(f"{self.prefix}:w:{worker_id}", "channel")
            if channel is not None:
                hosts.append(Seat(worker=worker_id, channel=_text(channel), units=units))
        return sorted(hosts, key=lambda seat: -seat.units)

    async def room_units(self, room: str) -> dict[str, int]:
        """The units ``room`` books on each of its workers."""
        fields = await self.client.hgetall(f"{self.prefix}:room:{room}")
        return {_text(k): int(v) for k, v in fields.items() if not _text(k).startswith("n:")}


def _seat(answer: Any) -> Seat | None:
    if not answer:
        return None
    worker, channel, units = answer
    return Seat(worker=_text(worker), channel=_text(channel), units=int(units))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
