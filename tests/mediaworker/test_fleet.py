"""Issue 14, item 2: several media workers on one machine (``meet media --workers N``)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest
import redis.asyncio

from bench.worker import ROOT, WORKER_COMMAND, worker_env
from mediaworker.fleet import fleet_environments
from placement.store import Placement
from tests.mediaworker.test_redis_worker import redis_url  # noqa: F401 - a fixture
from tests.mediaworker.workers import START_TIMEOUT_SECS


@pytest.mark.parametrize(
    ("environ", "count", "expected"),
    [
        (
            {"MEET_MEDIA_WORKER_ID": "media1", "MEET_MEDIA_UDP_PORTS": "40000-40999"},
            2,
            [("media1-0", "40000-40499", "9310"), ("media1-1", "40500-40999", "9311")],
        ),
        (
            {"MEET_MEDIA_WORKER_ID": "m", "MEET_MEDIA_UDP_PORTS": "40000-40009"},
            3,  # ten ports for three: three each, the last one unused
            [
                ("m-0", "40000-40002", "9310"),
                ("m-1", "40003-40005", "9311"),
                ("m-2", "40006-40008", "9312"),
            ],
        ),
        (
            {"MEET_MEDIA_WORKER_ID": "m", "MEET_MEDIA_METRICS_PORT": "0"},
            2,  # no range: the system picks; no metrics endpoint: none for any of them
            [("m-0", None, "0"), ("m-1", None, "0")],
        ),
    ],
)
def test_each_worker_gets_its_own_id_ports_and_metrics_port(
    environ: dict[str, str], count: int, expected: list[tuple[str, str | None, str]]
) -> None:
    found = [
        (
            env["MEET_MEDIA_WORKER_ID"],
            env.get("MEET_MEDIA_UDP_PORTS"),
            env.get("MEET_MEDIA_METRICS_PORT", "9310"),
        )
        for env in fleet_environments(count, environ)
    ]
    assert found == expected


def test_a_host_name_makes_the_ids_when_none_is_given() -> None:
    ids = [env["MEET_MEDIA_WORKER_ID"] for env in fleet_environments(2, {})]
    assert ids[0].endswith("-0") and ids[1].endswith("-1") and ids[0][:-2] == ids[1][:-2]


@pytest.mark.parametrize(
    ("environ", "count", "message"),
    [
        ({}, 0, "1 or more"),
        ({"MEET_MEDIA_UDP_PORTS": "40000-40001"}, 3, "fewer ports"),
        ({"MEET_MEDIA_WORKER_ID": "no spaces"}, 2, "MEET_MEDIA_WORKER_ID"),
    ],
)
def test_a_fleet_that_cannot_work_is_refused(
    environ: dict[str, str], count: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fleet_environments(count, environ)


@pytest.mark.services
async def test_meet_media_workers_2_registers_two_workers_and_retires_both(
    redis_url: str,  # noqa: F811 - the fixture
) -> None:
    process = await asyncio.create_subprocess_exec(
        *WORKER_COMMAND,
        "--workers",
        "2",
        cwd=ROOT,
        env=worker_env(redis_url, MEET_MEDIA_WORKER_ID="pair", MEET_MEDIA_UDP_PORTS="47300-47399"),
    )
    client: Any = redis.asyncio.Redis.from_url(redis_url)
    places = Placement(client)
    try:

        async def registered() -> list[str]:
            while len(ids := sorted(w.id for w in await places.workers())) < 2:
                await asyncio.sleep(0.1)
            return ids

        assert await asyncio.wait_for(registered(), START_TIMEOUT_SECS) == ["pair-0", "pair-1"]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        assert await places.workers() == []
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await client.aclose()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--workers", "many"], "needs a number"), (["--workers", "0"], "1 or more")],
)
def test_meet_media_workers_refuses_a_count_it_cannot_run(args: list[str], message: str) -> None:
    from meet.cli import main

    with pytest.raises(SystemExit, match=message):
        main(["media", *args])
