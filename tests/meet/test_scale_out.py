"""Issue 14, item 1 (with item 2): two daphne processes and two media workers on Redis.

Two ``meet serve`` processes share one database and one Redis; two ``meet media``
workers register in placement. One member's socket lands on each web process: they meet
in one room — each sees the other join, the chat reaches both — and their media
signaling reaches the one worker the room was placed on, whichever process relayed it,
so each receives the other's camera and voice; when one leaves, the other sees it gone.
Nothing is mocked: the members are protocol-speaking WebSocket clients with real aiortc
peer connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from mediaworker import ice
from placement.store import Placement
from signaling.domain.protocol.messages import PROTOCOL_VERSION
from tests.conftest import ROOT
from tests.e2e.conftest import _free_port, _wait_healthy, serve, throwaway_database
from tests.e2e.server import meet_shell, stop_process
from tests.mediaworker.client import MediaClient
from tests.mediaworker.test_redis_worker import redis_url  # noqa: F401 - a fixture
from tests.mediaworker.workers import start_media_process, stop_media_process

pytestmark = pytest.mark.services

RECEIVE_TIMEOUT_SECS = 15.0
WORKERS = ("east", "west")


@dataclass(frozen=True)
class Site:
    """The two web processes on one database: their URLs, and how to run code there."""

    urls: tuple[str, str]
    database: str
    var_dir: Path

    def shell(self, code: str) -> Any:
        return meet_shell(code, database=self.database, var_dir=self.var_dir)


@pytest.fixture
def site(
    tmp_path_factory: pytest.TempPathFactory,
    redis_url: str,  # noqa: F811 - the fixture
) -> Iterator[Site]:
    databases = throwaway_database(tmp_path_factory, "scale_out")
    database = next(databases)
    var_dir = tmp_path_factory.mktemp("scale-out-var")
    extra = {
        "REDIS_URL": redis_url,
        "MEET_MEDIA_WORKER": "external",
        "MEET_LIVE_RECONNECT_GRACE_SECS": "0",
    }
    try:
        for first in serve(database, var_dir, **extra):
            # The second process: the same database, Redis and folder; set up already.
            port = _free_port()
            env = {
                **os.environ,
                "DATABASE_URL": database,
                "MEET_VAR_DIR": str(var_dir),
                "PORT": str(port),
                "PYTHONUNBUFFERED": "1",
                **extra,
            }
            env.pop("DJANGO_SETTINGS_MODULE", None)
            log_path = var_dir / "second.log"
            with log_path.open("w") as log:
                second = subprocess.Popen(
                    [sys.executable, "-m", "meet", "serve"],
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=log,
                )
                try:
                    url = f"http://127.0.0.1:{port}"
                    _wait_healthy(url, second, log_path)
                    yield Site((first, url), database, var_dir)
                finally:
                    stop_process(second)
    finally:
        databases.close()


@pytest.fixture
async def workers(redis_url: str) -> AsyncIterator[None]:  # noqa: F811 - the fixture
    processes = [
        await start_media_process(redis_url, MEET_MEDIA_WORKER_ID=name) for name in WORKERS
    ]
    yield
    await asyncio.gather(*(stop_media_process(p) for p in processes))


TOKENS = """
import json
from django.contrib.auth.models import User
from rooms.models import Room
from tests.signaling.live import member_session, token_for
room = Room.objects.get(slug="demo")
found = []
for name in ("admin", "giaovien1"):
    user = User.objects.get(username=name)
    key = member_session(user)
    found.append([key, token_for(room, session_key=key, role="host", name=name, user=user)])
print(json.dumps(found))
"""


class Member:
    """One browser's room socket on one web process; its media through that socket."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.inbox: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.media: SocketMedia | None = None
        self.peer = ""
        self.welcome: dict[str, Any] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for frame in self.socket:
            data = json.loads(frame)
            for message in data["messages"] if data.get("type") == "batch" else [data]:
                if str(message.get("type", "")).startswith("rtc.") and self.media is not None:
                    await self.media.handle(message)
                else:
                    self.inbox.append(message)
                    self.arrived.set()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def expect(self, type_: str, **match: Any) -> dict[str, Any]:
        """Skip messages until one of ``type_`` matching ``match`` arrives."""

        async def found() -> dict[str, Any]:
            while True:
                while self.inbox:
                    message = self.inbox.pop(0)
                    if message["type"] == type_ and all(
                        message.get(k) == v for k, v in match.items()
                    ):
                        return message
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(found(), RECEIVE_TIMEOUT_SECS)

    async def join(self, token: str) -> None:
        await self.send({"type": "hello", "v": PROTOCOL_VERSION, "token": token})
        self.welcome = await self.expect("welcome")
        self.peer = self.welcome["you"]["peer"]

    async def close(self) -> None:
        await self.socket.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.reader, 10)


class SocketMedia(MediaClient):
    """A ``MediaClient`` whose signaling goes through its member's room socket, as a
    browser's does, instead of straight to a worker's channel."""

    def __init__(self, member: Member, **options: Any) -> None:
        super().__init__(None, room="demo", peer=member.peer, **options)
        self.member = member
        self.reply = "the room socket"  # no channel of its own: answers come on the socket
        member.media = self

    async def send(self, signal: dict[str, Any]) -> None:
        await self.member.send(signal)

    async def _read(self) -> None:
        return  # the member's reader hands the rtc.* messages to handle()

    async def close(self, *, leave: bool = True) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.pc is not None:
            await asyncio.wait_for(self.pc.close(), 10)


async def open_member(url: str, session_key: str, token: str) -> Member:
    address = url.replace("http://", "ws://") + "/ws/rooms/demo/"
    socket = await connect(
        address,
        origin=Origin(url),
        additional_headers={"Cookie": f"sessionid={session_key}"},
    )
    member = Member(socket)
    await member.join(token)
    return member


async def test_members_on_two_web_processes_meet_in_one_room_on_one_worker(
    site: Site,
    workers: None,
    redis_url: str,  # noqa: F811 - the fixture
) -> None:
    (key_a, token_a), (key_b, token_b) = await asyncio.to_thread(site.shell, TOKENS)
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    members: list[Member] = []
    medias: list[SocketMedia] = []
    client: Any = redis.asyncio.Redis.from_url(redis_url)
    try:
        a = await open_member(site.urls[0], key_a, token_a)
        members.append(a)
        b = await open_member(site.urls[1], key_b, token_b)
        members.append(b)
        # The join crossed processes both ways: b's welcome lists a, a hears b arrive.
        assert a.peer in {p["peer"] for p in b.welcome["participants"]}
        while (await a.expect("participant.joined"))["participant"]["peer"] != b.peer:
            pass  # its own join's echo comes first

        await b.send({"type": "chat.send", "text": "Xin chào từ tiến trình thứ hai"})
        for member in (a, b):
            said = await member.expect("chat.message", peer=b.peer)
            assert said["text"] == "Xin chào từ tiến trình thứ hai"

        medias = [SocketMedia(a, camera=(160, 120)), SocketMedia(b, camera=(176, 144))]
        await asyncio.gather(*(media.join() for media in medias))
        media_a, media_b = medias
        await media_a.wait_for(media_a.receives([b.peer]), timeout=20)
        await media_b.wait_for(media_b.receives([a.peer]), timeout=20)
        assert set(media_a.received[(b.peer, "camera")].sizes) == {(176, 144)}

        # Both sockets booked their member on the room's one worker.
        hosts = await Placement(client).room_hosts("demo")
        assert len(hosts) == 1 and hosts[0].worker in WORKERS, hosts

        # Presence crosses too: b leaves on its process, a sees it gone on the other.
        await media_b.close()
        await b.close()  # 1000: the page's Leave
        left = await a.expect("participant.left", peer=b.peer)
        assert left["reason"] == "left", left
    finally:
        await asyncio.gather(*(m.close() for m in medias), return_exceptions=True)
        await asyncio.gather(*(m.close() for m in members), return_exceptions=True)
        ice.restore_host_addresses()

    # Both sockets closed: what they booked went back, wherever they were.
    async def freed() -> None:
        while await Placement(client).room_hosts("demo"):
            await asyncio.sleep(0.1)

    await asyncio.wait_for(freed(), RECEIVE_TIMEOUT_SECS)
    await client.aclose()


@pytest.fixture
async def small_east(redis_url: str) -> AsyncIterator[None]:  # noqa: F811 - the fixture
    """east takes one member of a meeting (14 units: 80 % is 11), west the rest."""
    processes = [
        await start_media_process(
            redis_url, MEET_MEDIA_WORKER_ID=name, MEET_MEDIA_CAPACITY_UNITS=str(units)
        )
        for name, units in (("east", 14), ("west", 600))
    ]
    yield
    await asyncio.gather(*(stop_media_process(p) for p in processes))


async def test_members_on_two_workers_receive_each_other_through_a_pipe(
    site: Site,
    small_east: None,
    redis_url: str,  # noqa: F811 - the fixture
) -> None:
    """Issue 14, item 3: the room outgrows east after its first member; the second is
    placed on west (its socket on the other web process), and each receives the other's
    camera and voice, piped between the two workers."""
    (key_a, token_a), (key_b, token_b) = await asyncio.to_thread(site.shell, TOKENS)
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    members: list[Member] = []
    medias: list[SocketMedia] = []
    client: Any = redis.asyncio.Redis.from_url(redis_url)
    try:
        a = await open_member(site.urls[0], key_a, token_a)
        members.append(a)
        medias.append(SocketMedia(a, camera=(160, 120)))
        await medias[0].join()  # books a on east
        b = await open_member(site.urls[1], key_b, token_b)
        members.append(b)
        medias.append(SocketMedia(b, camera=(176, 144)))
        await medias[1].join()  # east is past its headroom: b goes to west
        units = await Placement(client).room_units("demo")
        assert set(units) == {"east", "west"}, units
        media_a, media_b = medias
        await media_a.wait_for(media_a.receives([b.peer]), timeout=30)
        await media_b.wait_for(media_b.receives([a.peer]), timeout=30)
        assert set(media_a.received[(b.peer, "camera")].sizes) == {(176, 144)}
        assert set(media_b.received[(a.peer, "camera")].sizes) == {(160, 120)}
    finally:
        await asyncio.gather(*(m.close() for m in medias), return_exceptions=True)
        await asyncio.gather(*(m.close() for m in members), return_exceptions=True)
        ice.restore_host_addresses()
        await client.aclose()
