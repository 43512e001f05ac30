"""The live room counts its frames by type and times each join (issue 12, observability)."""

from __future__ import annotations

import logging

from prometheus_client import REGISTRY

from meet.logs import ContextFilter


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_frames_in_and_out_room_events_and_join_latency_are_counted(connect) -> None:
    joins = sample("meet_signaling_join_seconds_count")
    hellos = sample("meet_signaling_messages_total", direction="in", type="hello")
    welcomes = sample("meet_signaling_messages_total", direction="out", type="welcome")
    chats = sample("meet_signaling_messages_total", direction="in", type="chat.send")
    invalid = sample("meet_signaling_messages_total", direction="in", type="invalid")
    joined_events = sample("meet_signaling_room_events_total", type="participant.joined")

    host = await connect(role="host", name="Cô Lan")
    await connect(name="Thầy Minh")
    await host.expect("participant.joined")
    await host.send({"type": "chat.send", "text": "Chào cả lớp"})
    await host.expect("chat.message")
    await host.send_text("{not json")
    await host.expect("error")

    assert sample("meet_signaling_join_seconds_count") == joins + 2
    assert sample("meet_signaling_join_seconds_sum") > 0
    assert sample("meet_signaling_messages_total", direction="in", type="hello") == hellos + 2
    assert sample("meet_signaling_messages_total", direction="out", type="welcome") == welcomes + 2
    assert sample("meet_signaling_messages_total", direction="in", type="chat.send") == chats + 1
    assert sample("meet_signaling_messages_total", direction="in", type="invalid") == invalid + 1
    assert sample("meet_signaling_messages_total", direction="out", type="error") >= 1
    assert (
        sample("meet_signaling_room_events_total", type="participant.joined") >= joined_events + 1
    )


async def test_a_sockets_log_lines_name_its_room_and_participant(connect, caplog) -> None:
    """Issue 12: the web's log filter (meet/logs.py) finds the ids the consumer bound."""
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.DEBUG, logger="signaling.consumers.joining")
    host = await connect(role="host", name="Cô Lan")
    guest = await connect(role="guest", name="Khách")
    joined = {
        record.participant: record.room
        for record in caplog.records
        if record.name == "signaling.consumers.joining" and record.getMessage().startswith("joined")
    }
    assert joined == {host.peer: host.room.slug, guest.peer: guest.room.slug}
