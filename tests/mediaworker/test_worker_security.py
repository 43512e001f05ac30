"""Issue 10 on the media worker: seats, roles, host mute, candidates, errors, recording paths.

Real aiortc peers over loopback (tests/mediaworker/client.py) against a real worker on
an in-memory channel layer; what is checked is what a browser would receive and what
the worker holds (seats, the recorder's sources, the ICE agent's remote candidates).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from mediaworker.forwarding import Source
from mediaworker.router import Router
from mediaworker.wire import MEDIA_ERRORS, MEDIA_WORKER_CHANNEL, to_worker_signal
from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient, PatternTrack
from tests.mediaworker.conftest import LOOPBACK_ONLY
from tests.mediaworker.test_recording import command, new_recording, wait_until

PRESENTER = (176, 144)
SCREEN = (320, 180)

Make = Callable[..., MediaClient]


@pytest.fixture
async def make_worker(layer, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Start workers with some settings changed; each is stopped afterwards."""
    tasks: list[asyncio.Task[None]] = []

    async def start(**changes: Any) -> MediaWorker:
        changes.setdefault("recordings_root", tmp_path)
        config = dataclasses.replace(LOOPBACK_ONLY, **changes)
        worker = MediaWorker(layer, config=config)
        tasks.append(asyncio.ensure_future(worker.run()))
        await worker.ready.wait()
        return worker

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
async def clients(layer) -> AsyncIterator[Make]:
    made: list[MediaClient] = []

    def make(peer: str, **options: Any) -> MediaClient:
        made.append(MediaClient(layer, room=options.pop("room", "r"), peer=peer, **options))
        return made[-1]

    yield make
    await asyncio.gather(*(c.close() for c in made), return_exceptions=True)


async def start_broadcast(layer, worker: MediaWorker, tmp_path: Path, room: str = "r") -> Path:
    directory = new_recording(tmp_path)
    await command(layer, "start", directory, broadcast=True, room=room)
    await wait_until(lambda: room in worker.routers and worker.routers[room].recorder is not None)
    return directory


async def broadcasting(
    layer, make_worker, clients: Make, tmp_path: Path, **changes: Any
) -> MediaWorker:
    """A worker with ``changes`` whose room "r" broadcasts presenter "p"'s camera."""
    worker = await make_worker(**changes)
    await clients("p", camera=PRESENTER).join()
    await start_broadcast(layer, worker, tmp_path)
    return worker


async def raw_viewer_offer(layer, peer: str, sdp: str) -> str:
    """A watch socket relaying a viewer's offer; returns the reply channel."""
    reply = await layer.new_channel()
    signal: Any = {"type": "rtc.offer", "sdp": sdp}
    message = to_worker_signal(
        room="r", peer=peer, reply=reply, name="", signal=signal, viewer=True
    )
    await layer.send(MEDIA_WORKER_CHANNEL, message)
    return reply


async def next_signal(layer, reply: str, kind: str = "") -> dict[str, Any]:
    """The worker's next signal to ``reply`` (of type ``kind`` if given)."""
    while True:
        message = await asyncio.wait_for(layer.receive(reply), 10)
        if not kind or message["signal"]["type"] == kind:
            return message["signal"]


# -- row 6: viewer seats --------------------------------------------------------------


async def test_garbage_offers_take_no_seat(layer, make_worker, clients: Make, tmp_path) -> None:
    """Issue 10, row 6: two sockets sending "sdp": "garbage" filled the two seats and
    real viewers got ``full``; a seat is taken only for a parsed, acceptable offer."""
    worker = await broadcasting(layer, make_worker, clients, tmp_path, max_viewers=2)
    garbage = {
        "garbage": "bad_offer",
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n": "bad_offer",
        "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n": "viewer_offer",  # sendrecv
        "\x00" * 500: "bad_offer",
    }
    for number, (sdp, code) in enumerate(garbage.items()):
        reply = await raw_viewer_offer(layer, f"w{number}", sdp)
        refused = await next_signal(layer, reply)
        assert refused == {"type": "rtc.error", "code": code, "message": MEDIA_ERRORS[code]}
    assert worker.seats.taken == 0 and worker.routers["r"].viewers == {}
    first, second = clients("v1", viewer=True), clients("v2", viewer=True)
    await first.join()
    await second.join()
    assert first.codes == second.codes == []
    await second.wait_for(lambda: second.frames_from("p") >= 3)
    assert worker.seats.taken == 2


async def test_a_viewer_that_never_connects_gives_its_seat_back(
    layer, make_worker, clients: Make, tmp_path
) -> None:
    """Issue 10, row 6: a seat is returned when the connection never comes up."""
    worker = await broadcasting(
        layer, make_worker, clients, tmp_path, max_viewers=1, viewer_connect_secs=3.0
    )
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        reply = await raw_viewer_offer(layer, "ghost", pc.localDescription.sdp)
        answer = await next_signal(layer, reply)
        assert answer["type"] == "rtc.answer"
        assert worker.seats.taken == 1
    finally:
        await pc.close()  # the answer is never applied: no ICE, no DTLS
    refused = await next_signal(layer, reply, "rtc.error")
    assert refused["code"] == "not_connected"
    assert worker.seats.taken == 0 and "ghost" not in worker.routers["r"].viewers
    late = clients("v1", viewer=True)
    await late.join()
    assert late.codes == []
    await late.wait_for(lambda: late.frames_from("p") >= 3)


async def test_a_viewers_failed_offer_gives_its_seat_back(
    layer, make_worker, clients: Make, tmp_path
) -> None:
    """Issue 10, row 6: a seat is returned when the offer fails after it was taken."""
    worker = await broadcasting(layer, make_worker, clients, tmp_path, max_viewers=1)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("video", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        # Parses, but aiortc refuses it (no codec it knows): fails after the checks.
        sdp = pc.localDescription.sdp.replace("VP8/90000", "XYZ/90000").replace(
            "H264/90000", "XYZ/90000"
        )
        reply = await raw_viewer_offer(layer, "odd", sdp)
        refused = await next_signal(layer, reply)
    finally:
        await pc.close()
    assert refused["type"] == "rtc.error" and refused["code"] in MEDIA_ERRORS
    assert worker.seats.taken == 0 and "odd" not in worker.routers["r"].viewers


async def test_participants_join_and_receive_during_a_viewer_flood(
    layer, make_worker, clients: Make, tmp_path
) -> None:
    """Issue 10 ("presenters' media keeps its capacity during a viewer flood"): with
    every viewer seat taken and more offers pouring in, a participant still joins
    and receives the presenter, and the seated viewer keeps its picture."""
    worker = await broadcasting(layer, make_worker, clients, tmp_path, max_viewers=1)
    seated = clients("v0", viewer=True)
    await seated.join()
    await seated.wait_for(lambda: seated.frames_from("p") >= 3)
    flood = [clients(f"v{i}", viewer=True) for i in range(1, 7)]
    garbage = [raw_viewer_offer(layer, f"g{i}", "garbage") for i in range(20)]
    pupil = clients("pupil", role="participant")
    await asyncio.gather(*(v.join() for v in flood), *garbage, pupil.join())
    assert all(v.codes == ["full"] for v in flood)
    assert pupil.errors == []
    await pupil.wait_for(lambda: pupil.receives(["p"], frames=5)())
    before = seated.frames_from("p")
    await seated.wait_for(lambda: seated.frames_from("p") >= before + 5)
    assert worker.seats.taken == 1 and set(worker.routers["r"].members) == {"p", "pupil"}


# -- who feeds the program -------------------------------------------------------------


def recorded(router: Router) -> tuple[str | None, set[str]]:
    """(the program's key, the microphones mixed) as the recorder has them."""
    recorder = router.recorder
    assert recorder is not None
    return (recorder.pending_key or recorder.video_key), set(recorder.mics)


async def test_only_hosts_and_presenters_feed_the_broadcast(
    layer, make_worker, clients: Make, tmp_path
) -> None:
    """Issue 10: a guest's screen share became the broadcast's program and every
    microphone was mixed; only hosts and presenters feed it now."""
    worker = await make_worker()
    host = clients("h", camera=PRESENTER, role="host")
    guest = clients("g", camera=PRESENTER, role="guest", loud=True)
    await host.join()
    await start_broadcast(layer, worker, tmp_path)
    router = worker.routers["r"]
    await guest.join()
    await guest.publish("screen", PatternTrack(*SCREEN))
    viewer = clients("v", viewer=True)
    await viewer.join()
    await viewer.wait_for(lambda: viewer.frames_from("h") >= 5)
    await host.wait_for(lambda: host.slot_of("g", "screen") is not None)  # the room sees it
    assert recorded(router) == ("h/camera", {"h/mic"})
    assert all(entry["peer"] in (None, "h") for entry in viewer.slots.values())

    # A host makes the guest the presenter (the room consumer relays it): it feeds.
    await host.control("presenter_on", target="g")
    await wait_until(lambda: recorded(router)[0] == "g/screen")
    assert recorded(router)[1] == {"h/mic", "g/mic"}
    await viewer.wait_for(lambda: viewer.frames_from("g", "screen") >= 5)
    await host.control("presenter_off", target="g")
    await wait_until(lambda: recorded(router) == ("h/camera", {"h/mic"}))


async def test_the_role_comes_from_the_consumer_not_the_browser(
    layer, make_worker, clients: Make, tmp_path
) -> None:
    """Issue 10: a signal without a role (or with an unknown one) feeds nothing."""
    worker = await make_worker()
    nobody = clients("x", camera=PRESENTER, role="superhost")
    await nobody.join()
    await start_broadcast(layer, worker, tmp_path)
    router = worker.routers["r"]
    await wait_until(lambda: "x/camera" in router._streams(router._everyone()))
    assert recorded(router) == (None, set())
    assert router.members["x"].role == "guest"


async def test_a_host_mute_drops_the_packets_at_the_worker(
    layer, make_worker, clients: Make, tmp_path
) -> None:
    """Issue 10: a host's mute was advice to the browser; the worker now drops the
    muted member's packets (not forwarded, not recorded, not mixed) until the member
    turns the microphone on again — even while its browser keeps sending."""
    worker = await make_worker()
    speaker = clients("s", camera=PRESENTER, role="host", loud=True)
    host = clients("h", camera=PRESENTER, role="host")
    await asyncio.gather(speaker.join(), host.join())
    await start_broadcast(layer, worker, tmp_path)
    router = worker.routers["r"]
    await host.wait_for(lambda: host.frames_from("s", "mic") >= 5)
    mic: Source = router.members["s"].session.published["mic"].stream
    await wait_until(lambda: "s/mic" in recorded(router)[1])

    await host.control("mute_audio", target="s")  # the consumer checked h is a host
    await speaker.wait_for(lambda: speaker.muted == ["mic"])
    # The test client ignores rtc.muted: its microphone keeps sending.
    counted = mic.packets
    await asyncio.sleep(0.5)
    assert mic.packets == counted and mic.held
    assert host.slot_of("s", "mic") is None
    assert "s/mic" not in recorded(router)[1]

    # The participant unmutes (the room's mic button: rtc.tracks active).
    await speaker.send(
        {"type": "rtc.tracks", "tracks": [{"mid": "0", "source": "mic", "active": True}]}
    )
    await wait_until(lambda: mic.packets > counted + 10)
    heard = host.frames_from("s", "mic")
    await host.wait_for(lambda: host.frames_from("s", "mic") >= heard + 5)


async def test_an_observer_is_heard_and_seen_by_nobody(layer, make_worker, clients: Make) -> None:
    """Issue 15: a competition's juror watches the lesson as an observer. Whatever its
    browser sends, the worker forwards none of it (it drops the packets at the source),
    and the observer receives the room like anyone."""
    worker = await make_worker()
    teacher = clients("t", camera=PRESENTER, role="host", loud=True)
    juror = clients("j", camera=PRESENTER, role="observer", loud=True)
    await asyncio.gather(teacher.join(), juror.join())
    router = worker.routers["r"]
    await juror.wait_for(lambda: juror.frames_from("t") >= 5)
    await juror.wait_for(lambda: juror.frames_from("t", "mic") >= 5)
    await wait_until(lambda: "camera" in router.members["j"].session.published)
    camera: Source = router.members["j"].session.published["camera"].stream
    await asyncio.sleep(1.0)
    assert camera.held and camera.packets == 0
    assert teacher.slot_of("j", "camera") is None and teacher.slot_of("j", "mic") is None
    # Turning its tracks on (rtc.tracks active) changes nothing for an observer.
    await juror.send(
        {"type": "rtc.tracks", "tracks": [{"mid": "0", "source": "mic", "active": True}]}
    )
    await asyncio.sleep(0.5)
    assert teacher.slot_of("j", "mic") is None and not router.members["j"].active.get("mic")


# -- rtc.error ---------------------------------------------------------------------------


async def test_errors_carry_a_code_never_the_exception_text(clients: Make, worker) -> None:
    """Issue 10: rtc.error sent ``f"{type(exc).__name__}: {exc}"``; now a stable code
    and its fixed message (the detail is logged)."""
    a = clients("a")
    await a.join()
    bad = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:x\r\na=ice-pwd:y\r\n"
    await a.send({"type": "rtc.offer", "sdp": bad})
    await a.send({"type": "rtc.offer", "sdp": "v=0\r\nnot sdp"})
    await a.wait_for(lambda: len(a.error_signals) == 2)
    for signal in a.error_signals:
        assert set(signal) == {"type", "code", "message"}
        assert signal["message"] == MEDIA_ERRORS[signal["code"]]
        assert "Error" not in signal["message"]


# -- ICE candidates --------------------------------------------------------------------


def remote_candidates(session: Any) -> set[tuple[str, str]]:
    """(address, type) of the remote candidates the worker's ICE agent checks."""
    pc = session.pc
    ice = pc.getTransceivers()[0].receiver.transport.transport
    return {(c.host, c.type) for c in ice._connection.remote_candidates}


def remote_hosts(session: Any) -> set[str]:
    return {host for host, _ in remote_candidates(session)}


async def test_candidates_naming_internal_addresses_are_refused(
    layer, make_worker, clients: Make
) -> None:
    """Issue 10: a browser could make the worker send STUN to internal addresses.
    In production (no allowed networks) the offer's loopback candidates and trickled
    link-local, private and multicast ones never reach the ICE agent; the browser is
    still reached through its own checks (peer-reflexive)."""
    worker = await make_worker(allowed_peer_networks=())
    a, b = clients("a"), clients("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3 and a.frames_from("b") >= 3)
    session = worker.routers["r"].members["a"].session
    # Only what the browser's own checks came from: the offer's host candidates were cut.
    assert remote_candidates(session) == {("127.0.0.1", "prflx")}
    for host in ("169.254.169.254", "10.0.0.5", "224.0.0.251", "0.0.0.0", "x.local", "8.8.4.4"):
        line = f"candidate:9 1 udp 2130706431 {host} 3478 typ host"
        await a.send({"type": "rtc.ice", "candidate": {"candidate": line, "sdpMid": "0"}})
    await wait_until(lambda: "8.8.4.4" in remote_hosts(session))
    assert remote_hosts(session).isdisjoint(
        {"169.254.169.254", "10.0.0.5", "224.0.0.251", "0.0.0.0", "x.local"}
    )


# -- recording directory ---------------------------------------------------------------


async def test_the_worker_records_only_under_its_own_root(
    layer, make_worker, clients: Make, tmp_path: Path
) -> None:
    """Issue 10: the worker trusted the ``directory`` of recording commands (Redis has
    no password); it derives ``<root>/<id>`` itself and refuses any other path."""
    root = tmp_path / "root"
    root.mkdir()
    worker = await make_worker(recordings_root=root)
    presenter = clients("p", camera=PRESENTER)
    await presenter.join()
    elsewhere = tmp_path / "elsewhere"
    recording = new_recording(elsewhere)
    await command(layer, "start", recording)  # directory=<elsewhere>/<id>
    for bad_id in ("../" + recording.name, recording.name + "\n", recording.name.upper()):
        await command(layer, "start", root / bad_id)
    await asyncio.sleep(0.5)
    assert worker.routers["r"].recorder is None
    assert not elsewhere.exists() and list(root.iterdir()) == []

    good = root / recording.name
    await layer.send(
        MEDIA_WORKER_CHANNEL,
        {
            "type": "media.recording",
            "room": "r",
            "action": "start",
            "recording": recording.name,
            "broadcast": False,
            "title": "",
            "text": "",
        },
    )
    await wait_until(lambda: worker.routers["r"].recorder is not None)
    recorder = worker.routers["r"].recorder
    assert recorder is not None and recorder.directory == good.resolve()
    await command(layer, "stop", good)
    await wait_until(lambda: worker.routers["r"].recorder is None)
