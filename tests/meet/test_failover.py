"""Issue 14, item 5: a media worker killed mid-meeting costs its room a few seconds only.

Two ``meet serve`` processes and two ``meet media`` workers on one Redis and one
database (tests/meet/test_scale_out.py's site). Two members, one on each web process,
chat, raise a hand, open a poll and receive each other's media from the room's worker.
That worker is SIGKILLed: its lease runs out, a web process reaps it
(realtime/media_routes.py), both sockets hear ``media.moved`` (without the worker's
name), their clients offer again as the page does (``media.restart``), and both receive
each other's media from the other worker. What lives in the database is intact: a member
who joins afterwards finds the chat line, the hand and the poll in its welcome. The room
was being recorded: the recording the dead worker left is stopped and finalised (an MP4
of what it wrote) by the new worker, and the recording goes on there in its next part.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio

from mediaworker import ice
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import read_status
from placement.store import Placement
from tests.conftest import ROOT
from tests.e2e.conftest import _free_port, _wait_healthy
from tests.e2e.server import meet_shell, stop_process
from tests.mediaworker.test_redis_worker import redis_url  # noqa: F401 - a fixture
from tests.mediaworker.workers import start_media_process, stop_media_process
from tests.meet.test_scale_out import (
    Member,
    Site,
    SocketMedia,
    open_member,
    site,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.services

WORKERS = ("north", "south")
# Generous bounds for a loaded CI machine; bench/failover.py measures the real time.
MOVED_TIMEOUT_SECS = 20.0
MEDIA_TIMEOUT_SECS = 30.0

TOKENS = """
import json
from django.contrib.auth.models import User
from rooms.models import Room
from tests.signaling.live import member_session, token_for
room = Room.objects.get(slug="demo")
found = []
for name in %r:
    user = User.objects.get(username=name)
    key = member_session(user)
    found.append([key, token_for(room, session_key=key, role="host", name=name, user=user)])
print(json.dumps(found))
"""


RECORD = """
import json
from archive.services.recordings import start_recording
from rooms.models import Room
print(json.dumps(start_recording(Room.objects.get(slug="demo"), kind="meeting").id.hex))
"""

RECORDINGS = """
import json
from archive.models import Recording
print(json.dumps([
    [r.id.hex, r.state, r.stop_requested_at is not None, r.continues_id and r.continues_id.hex]
    for r in Recording.objects.filter(room__slug="demo").order_by("created")
]))
"""


@pytest.fixture
async def worker_processes(
    site: Site,  # noqa: F811 - the fixture
    redis_url: str,  # noqa: F811 - the fixture
) -> AsyncIterator[dict[str, asyncio.subprocess.Process]]:
    recordings = str(site.var_dir / "recordings")  # the web side's MEET_RECORDINGS_ROOT
    processes = {
        name: await start_media_process(
            redis_url, MEET_MEDIA_WORKER_ID=name, MEET_RECORDINGS_DIR=recordings
        )
        for name in WORKERS
    }
    yield processes
    await asyncio.gather(*(stop_media_process(p) for p in processes.values()))


def tokens(live: Site, *names: str) -> list[tuple[str, str]]:
    """A signed-in session and a host's join token for each of ``names``."""
    return [tuple(pair) for pair in live.shell(TOKENS % (names,))]


def on_redis(live: Site, code: str, address: str) -> Any:
    """``code`` in ``meet shell`` with the site's Redis: what it asks of a worker arrives."""
    return meet_shell(code, database=live.database, var_dir=live.var_dir, REDIS_URL=address)


async def recorded(live: Site, recording: str, *, state: str = "recording") -> None:
    """Wait until the worker wrote ``recording``'s playlist and its status is ``state``."""
    directory = RecordingPaths(live.var_dir / "recordings" / recording)

    def done() -> bool:
        status = read_status(directory.directory)
        return directory.playlist.exists() and status is not None and status.state == state

    while not done():
        await asyncio.sleep(0.2)


async def media_back(media: SocketMedia, peer: str, before: int) -> None:
    """Wait until ``media`` decoded five more frames of ``peer``'s camera than ``before``."""
    await media.wait_for(lambda: media.frames_from(peer) >= before + 5, MEDIA_TIMEOUT_SECS)


async def move(member: Member, media: SocketMedia) -> dict[str, Any]:
    """What the page does on ``media.moved``: a new connection and offer (media.restart)."""
    moved = await asyncio.wait_for(member.expect("media.moved"), MOVED_TIMEOUT_SECS)
    if media.pc is not None:
        await asyncio.wait_for(media.pc.close(), 10)
    await media.join()
    return moved


async def test_a_killed_worker_s_room_moves_to_the_other_and_keeps_its_chat(
    site: Site,  # noqa: F811 - the fixture
    worker_processes: dict[str, asyncio.subprocess.Process],
    redis_url: str,  # noqa: F811 - the fixture
) -> None:
    (key_a, token_a), (key_b, token_b) = await asyncio.to_thread(tokens, site, "admin", "giaovien1")
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    client: Any = redis.asyncio.Redis.from_url(redis_url)
    places = Placement(client)
    members: list[Member] = []
    medias: list[SocketMedia] = []
    try:
        a = await open_member(site.urls[0], key_a, token_a)
        members.append(a)
        b = await open_member(site.urls[1], key_b, token_b)
        members.append(b)
        # What lives in the database: a chat line, a raised hand, a poll.
        await b.send({"type": "chat.send", "text": "Trước khi máy chủ media dừng"})
        await a.expect("chat.message", peer=b.peer)
        await b.send({"type": "hand.raise"})
        await a.expect("hands")
        await a.send({"type": "poll.create", "question": "Tiếp tục?", "options": ["Có", "Không"]})
        await b.expect("poll.opened")

        medias = [SocketMedia(a, camera=(160, 120)), SocketMedia(b, camera=(176, 144))]
        await asyncio.gather(*(media.join() for media in medias))
        media_a, media_b = medias
        await media_a.wait_for(media_a.receives([b.peer]), timeout=20)
        await media_b.wait_for(media_b.receives([a.peer]), timeout=20)
        (host,) = await places.room_hosts("demo")
        other = next(name for name in WORKERS if name != host.worker)
        first = await asyncio.to_thread(on_redis, site, RECORD, redis_url)
        await asyncio.wait_for(recorded(site, first), MEDIA_TIMEOUT_SECS)

        before = (media_a.frames_from(b.peer), media_b.frames_from(a.peer))
        killed = worker_processes[host.worker]
        killed.send_signal(signal.SIGKILL)
        await killed.wait()

        moved = await asyncio.gather(move(a, media_a), move(b, media_b))
        # The browsers hear that the room moved, never which machine served it.
        assert all(set(event) == {"type"} for event in moved), moved
        await asyncio.gather(
            media_back(media_a, b.peer, before[0]), media_back(media_b, a.peer, before[1])
        )
        assert not media_a.errors and not media_b.errors, (media_a.errors, media_b.errors)
        # The room and both members' load are on the live worker; the dead one is gone.
        hosts = await places.room_hosts("demo")
        assert [seat.worker for seat in hosts] == [other], hosts
        assert [w.id for w in await places.workers()] == [other]
        assert next(iter(hosts)).units == 20  # two members (MEMBER_LOAD), booked once each

        # The recording goes on in a new one on the live worker; the dead one's is
        # stopped and finalised there from the segments it had written.
        async def carried_on() -> list[list[Any]]:
            while True:
                rows = await asyncio.to_thread(on_redis, site, RECORDINGS, redis_url)
                if len(rows) == 2:
                    return rows
                await asyncio.sleep(0.5)

        old, new = await asyncio.wait_for(carried_on(), MEDIA_TIMEOUT_SECS)
        assert old[0] == first and old[2], old  # stop requested
        assert new[1:] == ["recording", False, first], new  # its next part
        await asyncio.wait_for(recorded(site, new[0]), MEDIA_TIMEOUT_SECS)
        await asyncio.wait_for(recorded(site, first, state="ready"), MEDIA_TIMEOUT_SECS)

        # The meeting's state is intact: a member joining now is welcomed with it.
        ((key_c, token_c),) = await asyncio.to_thread(tokens, site, "giaovien2")
        c = await open_member(site.urls[0], key_c, token_c)
        members.append(c)
        chat = [line["text"] for line in c.welcome["chat"]]
        assert chat == ["Trước khi máy chủ media dừng"], chat
        assert [hand["peer"] for hand in c.welcome["hands"]] == [b.peer]
        assert [poll["question"] for poll in c.welcome["polls"]] == ["Tiếp tục?"]
        assert {a.peer, b.peer} <= {p["peer"] for p in c.welcome["participants"]}
    finally:
        await asyncio.gather(*(m.close() for m in medias), return_exceptions=True)
        await asyncio.gather(*(m.close() for m in members), return_exceptions=True)
        ice.restore_host_addresses()
        with contextlib.suppress(Exception):
            await client.aclose()


def third_web_process(live: Site, address: str) -> tuple[subprocess.Popen[bytes], str]:
    """One more ``meet serve`` on the site's database and Redis, to be killed."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": live.database,
        "MEET_VAR_DIR": str(live.var_dir),
        "PORT": str(port),
        "REDIS_URL": address,
        "MEET_MEDIA_WORKER": "external",
        "MEET_LIVE_RECONNECT_GRACE_SECS": "0",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = live.var_dir / "third.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "meet", "serve"], env=env, cwd=ROOT, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, process, log_path)
    return process, url


async def test_what_a_killed_web_process_booked_goes_back_to_the_worker(
    site: Site,  # noqa: F811 - the fixture
    worker_processes: dict[str, asyncio.subprocess.Process],
    redis_url: str,  # noqa: F811 - the fixture
) -> None:
    """Issue 14, item 5: a daphne process SIGKILLed never says goodbye for its sockets;
    its lease on what they booked runs out and another process gives it back."""
    (key_a, token_a), (key_b, token_b) = await asyncio.to_thread(tokens, site, "admin", "giaovien1")
    third, third_url = await asyncio.to_thread(third_web_process, site, redis_url)
    ice.use_host_addresses(["127.0.0.1"], loopback=True)
    client: Any = redis.asyncio.Redis.from_url(redis_url)
    places = Placement(client)
    members: list[Member] = []
    medias: list[SocketMedia] = []
    try:
        a = await open_member(site.urls[0], key_a, token_a)
        b = await open_member(third_url, key_b, token_b)
        members += [a, b]
        medias = [SocketMedia(a), SocketMedia(b)]
        await asyncio.gather(*(media.join() for media in medias))
        (host,) = await places.room_hosts("demo")
        assert host.units == 20  # both members booked (MEMBER_LOAD each)

        third.send_signal(signal.SIGKILL)
        third.wait(timeout=10)

        async def given_back() -> None:
            while [seat.units for seat in await places.room_hosts("demo")] != [10]:
                await asyncio.sleep(0.2)

        await asyncio.wait_for(given_back(), MEDIA_TIMEOUT_SECS)
        assert {w.id: w.booked_units for w in await places.workers()}[host.worker] == 10
    finally:
        await asyncio.gather(*(m.close() for m in medias), return_exceptions=True)
        await asyncio.gather(*(m.close() for m in members), return_exceptions=True)
        stop_process(third)
        ice.restore_host_addresses()
        with contextlib.suppress(Exception):
            await client.aclose()


def test_the_browsers_event_names_no_worker() -> None:
    """The hub strips the worker's id (a machine's name) from what it writes to pages."""
    from realtime.hub import MOVED_FOR_BROWSERS, moved_event

    assert json.loads(moved_event("host-1")) == {"type": "media.moved", "worker": "host-1"}
    assert json.loads(MOVED_FOR_BROWSERS) == {"type": "media.moved"}
