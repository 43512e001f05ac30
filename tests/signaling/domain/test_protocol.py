"""The live-room protocol (docs/protocol.md): every client message type, valid and invalid."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signaling.domain import protocol as p

LIMITS = p.RtcLimits(
    max_sdp_bytes=200, max_candidate_bytes=120, max_tracks=3, max_subscribe_peers=2
)

VALID: list[tuple[dict[str, Any], p.ClientMessage]] = [
    ({"type": "hello", "v": 1, "token": "abc"}, p.Hello(v=1, token="abc")),
    (
        {"type": "hello", "v": 1, "token": "abc", "resume": "Peer_1-x"},
        p.Hello(v=1, token="abc", resume="Peer_1-x"),
    ),
    ({"type": "ping", "ref": "r1"}, p.Ping(ref="r1")),
    (
        {"type": "chat.send", "text": "  Xin chào\n\n\n\ncả lớp  "},
        p.ChatSend(text="Xin chào\n\ncả lớp"),
    ),
    ({"type": "hand.raise"}, p.HandRaise()),
    ({"type": "hand.lower"}, p.HandLower()),
    ({"type": "hand.lower", "peer": "abc"}, p.HandLower(peer="abc")),
    (
        {"type": "poll.create", "question": "Họp thứ mấy?", "options": ["Thứ Hai", "Thứ Tư"]},
        p.PollCreate(question="Họp thứ mấy?", options=("Thứ Hai", "Thứ Tư")),
    ),
    (
        {"type": "poll.create", "question": "Q", "options": ["a", "b", "c"], "multiple": True},
        p.PollCreate(question="Q", options=("a", "b", "c"), multiple=True),
    ),
    ({"type": "poll.vote", "poll": 3, "choices": [0, 2]}, p.PollVote(poll=3, choices=(0, 2))),
    ({"type": "poll.close", "poll": 3}, p.PollClose(poll=3)),
    ({"type": "slides.show", "deck": 2}, p.SlidesShow(deck=2, page=1)),
    ({"type": "slides.show", "deck": 2, "page": 7}, p.SlidesShow(deck=2, page=7)),
    ({"type": "slides.stop"}, p.SlidesStop()),
    ({"type": "mod.mute", "peer": "abc"}, p.ModMute(peer="abc")),
    ({"type": "mod.mute_all"}, p.ModMuteAll()),
    ({"type": "mod.stop_video", "peer": "abc"}, p.ModStopVideo(peer="abc")),
    ({"type": "mod.remove", "peer": "abc"}, p.ModRemove(peer="abc")),
    ({"type": "mod.presenter", "peer": "abc"}, p.ModPresenter(peer="abc", on=True)),
    ({"type": "mod.presenter", "peer": "abc", "on": False}, p.ModPresenter(peer="abc", on=False)),
    ({"type": "mod.lock", "locked": True}, p.ModLock(locked=True)),
    ({"type": "mod.lobby", "enabled": False}, p.ModLobby(enabled=False)),
    ({"type": "mod.admit", "peer": "abc"}, p.ModAdmit(peer="abc")),
    ({"type": "mod.deny", "peer": "abc"}, p.ModDeny(peer="abc")),
    ({"type": "mod.end"}, p.ModEnd()),
    ({"type": "media.state", "audio": True, "video": False}, p.MediaState(audio=True, video=False)),
    (
        {"type": "media.state", "audio": False, "video": False, "listen": True},
        p.MediaState(audio=False, video=False, listen=True),
    ),
    (
        {
            "type": "rtc.offer",
            "sdp": "v=0\r\n",
            "tracks": [{"mid": "0", "source": "mic", "active": True}],
        },
        p.RtcSignal(
            signal={
                "type": "rtc.offer",
                "sdp": "v=0\r\n",
                "tracks": [{"mid": "0", "source": "mic", "active": True}],
            }
        ),
    ),
    (
        {
            "type": "rtc.ice",
            "candidate": {
                "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
                "sdpMid": "0",
            },
        },
        p.RtcSignal(
            signal={
                "type": "rtc.ice",
                "candidate": {
                    "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
                    "sdpMid": "0",
                },
            }
        ),
    ),
    (
        {
            "type": "rtc.offer",
            "sdp": "v=0",
            "tracks": [
                {"mid": "0", "kind": "audio", "source": "mic", "active": False},
                {"mid": "3", "kind": "video", "slot": "camera"},
            ],
        },
        p.RtcSignal(
            signal={
                "type": "rtc.offer",
                "sdp": "v=0",
                "tracks": [
                    {"mid": "0", "source": "mic", "active": False, "kind": "audio"},
                    {"mid": "3", "slot": "camera", "kind": "video"},
                ],
            }
        ),
    ),
    (
        {"type": "rtc.ice", "candidate": None},
        p.RtcSignal(signal={"type": "rtc.ice", "candidate": None}),
    ),
    (
        {
            "type": "rtc.tracks",
            "tracks": [{"mid": "1", "kind": "video", "source": "camera", "active": False}],
        },
        p.RtcSignal(
            signal={
                "type": "rtc.tracks",
                "tracks": [{"mid": "1", "source": "camera", "active": False, "kind": "video"}],
            }
        ),
    ),
    (
        {"type": "rtc.subscribe", "peers": ["a", "b"]},
        p.RtcSignal(signal={"type": "rtc.subscribe", "peers": ["a", "b"]}),
    ),
    (
        {"type": "rtc.subscribe", "peers": [], "large": ["a"], "video": False},
        p.RtcSignal(signal={"type": "rtc.subscribe", "peers": [], "large": ["a"], "video": False}),
    ),
    (
        {"type": "rtc.tracks", "tracks": [{"mid": "5", "source": "camera-low", "active": True}]},
        p.RtcSignal(
            signal={
                "type": "rtc.tracks",
                "tracks": [{"mid": "5", "source": "camera-low", "active": True}],
            }
        ),
    ),
]


@pytest.mark.parametrize(
    ("frame", "expected"), VALID, ids=[f[0]["type"] + str(i) for i, f in enumerate(VALID)]
)
def test_valid_messages_parse(frame: dict[str, Any], expected: p.ClientMessage) -> None:
    assert p.parse_client(json.dumps(frame), rtc=LIMITS) == expected


@pytest.mark.parametrize(
    ("frame", "expected"), VALID, ids=[f[0]["type"] + str(i) for i, f in enumerate(VALID)]
)
def test_to_wire_is_the_inverse_of_parse(frame: dict[str, Any], expected: p.ClientMessage) -> None:
    assert p.parse_client(json.dumps(p.to_wire(expected)), rtc=LIMITS) == expected


def test_every_client_type_has_a_valid_example() -> None:
    assert {frame["type"] for frame, _ in VALID} == p.CLIENT_TYPES


LONG = "x" * (p.MAX_CHAT_CHARS + 1)

INVALID: list[tuple[Any, str, str]] = [
    # (frame, error code, field)
    (None, "not_text", ""),
    (b"{}", "not_text", ""),
    ("{", "bad_json", ""),
    ("[1, 2]", "not_object", ""),
    ({"text": "no type"}, "missing_type", "type"),
    ({"type": 5}, "missing_type", "type"),
    ({"type": "chat.delete"}, "unknown_type", "type"),
    ({"type": "__init__"}, "unknown_type", "type"),
    ({"type": "ping", "ref": 5}, "bad_field", "ref"),
    ({"type": "ping", "ref": "r" * 65}, "bad_field", "ref"),
    ({"type": "ping", "extra": 1}, "unknown_field", "extra"),
    ({"type": "hello", "token": "x"}, "missing_field", "v"),
    ({"type": "hello", "v": 2, "token": "x"}, "bad_version", "v"),
    ({"type": "hello", "v": True, "token": "x"}, "bad_field", "v"),
    ({"type": "hello", "v": 1, "token": ""}, "bad_field", "token"),
    ({"type": "hello", "v": 1, "token": "t" * 1001}, "too_long", "token"),
    ({"type": "hello", "v": 1, "token": "x", "resume": "no spaces"}, "bad_peer", "resume"),
    ({"type": "chat.send"}, "missing_field", "text"),
    ({"type": "chat.send", "text": 42}, "bad_field", "text"),
    ({"type": "chat.send", "text": "  \n\u200b "}, "empty", "text"),
    ({"type": "chat.send", "text": LONG}, "too_long", "text"),
    # The jury's chat flag is a JSON boolean, nothing that merely looks true.
    ({"type": "chat.send", "text": "Điểm", "jury": "true"}, "bad_field", "jury"),
    ({"type": "chat.send", "text": "Điểm", "jury": 1}, "bad_field", "jury"),
    ({"type": "chat.send", "text": "Điểm", "jury": {"on": True}}, "bad_field", "jury"),
    ({"type": "hand.raise", "peer": "abc"}, "unknown_field", "peer"),
    ({"type": "hand.lower", "peer": "a" * 33}, "bad_peer", "peer"),
    ({"type": "poll.create", "question": "Q", "options": ["only one"]}, "too_few", "options"),
    (
        {"type": "poll.create", "question": "Q", "options": [str(i) for i in range(11)]},
        "too_many",
        "options",
    ),
    ({"type": "poll.create", "question": "Q", "options": ["Có", "có"]}, "duplicate", "options"),
    ({"type": "poll.create", "question": "Q", "options": ["a", ""]}, "empty", "options"),
    ({"type": "poll.create", "question": "Q" * 301, "options": ["a", "b"]}, "too_long", "question"),
    ({"type": "poll.create", "question": "Q", "options": "a,b"}, "bad_field", "options"),
    (
        {"type": "poll.create", "question": "Q", "options": ["a", "b"], "multiple": "yes"},
        "bad_field",
        "multiple",
    ),
    ({"type": "poll.vote", "poll": "3", "choices": [0]}, "bad_field", "poll"),
    ({"type": "poll.vote", "poll": 0, "choices": [0]}, "out_of_range", "poll"),
    ({"type": "poll.vote", "poll": 3, "choices": []}, "too_few", "choices"),
    ({"type": "poll.vote", "poll": 3, "choices": [1, 1]}, "duplicate", "choices"),
    ({"type": "poll.vote", "poll": 3, "choices": [10]}, "out_of_range", "choices"),
    ({"type": "poll.vote", "poll": 3, "choices": [True]}, "bad_field", "choices"),
    ({"type": "poll.close"}, "missing_field", "poll"),
    ({"type": "slides.show", "deck": 1, "page": 0}, "out_of_range", "page"),
    ({"type": "slides.show", "deck": 2**60, "page": 1}, "out_of_range", "deck"),
    ({"type": "mod.mute"}, "missing_field", "peer"),
    ({"type": "mod.mute", "peer": "<script>"}, "bad_peer", "peer"),
    ({"type": "mod.stop_video", "peer": ""}, "bad_peer", "peer"),
    ({"type": "mod.remove", "peer": None}, "bad_field", "peer"),
    ({"type": "mod.presenter", "peer": "abc", "on": "true"}, "bad_field", "on"),
    ({"type": "mod.lock"}, "missing_field", "locked"),
    ({"type": "mod.lobby", "enabled": 1}, "bad_field", "enabled"),
    ({"type": "mod.admit", "peer": 7}, "bad_field", "peer"),
    ({"type": "mod.deny"}, "missing_field", "peer"),
    ({"type": "mod.end", "all": True}, "unknown_field", "all"),
    ({"type": "mod.mute_all", "peer": "x"}, "unknown_field", "peer"),
    ({"type": "slides.stop", "deck": 1}, "unknown_field", "deck"),
    ({"type": "media.state", "audio": True}, "missing_field", "video"),
    (
        {"type": "media.state", "audio": True, "video": False, "listen": "yes"},
        "bad_field",
        "listen",
    ),
    ({"type": "rtc.offer"}, "missing_field", "sdp"),
    ({"type": "rtc.offer", "sdp": "x" * 201}, "too_large", "sdp"),
    ({"type": "rtc.offer", "sdp": "v=0", "answer": "x"}, "unknown_field", "answer"),
    (
        {"type": "rtc.offer", "sdp": "v=0", "tracks": [{"mid": "0", "source": "speaker"}]},
        "bad_field",
        "tracks.source",
    ),
    ({"type": "rtc.ice", "candidate": "a=candidate"}, "bad_field", "candidate"),
    ({"type": "rtc.ice", "candidate": {"candidate": "c" * 200}}, "too_large", "candidate"),
    ({"type": "rtc.ice", "candidate": {"sdpMid": "0"}}, "bad_field", "candidate.candidate"),
    ({"type": "rtc.tracks", "tracks": [{"mid": "0", "source": "mic"}] * 4}, "too_many", "tracks"),
    ({"type": "rtc.tracks", "tracks": [{"mid": "", "source": "mic"}]}, "bad_field", "tracks.mid"),
    (
        {"type": "rtc.tracks", "tracks": [{"mid": "0", "source": "mic", "active": "no"}]},
        "bad_field",
        "tracks.active",
    ),
    (
        {"type": "rtc.tracks", "tracks": [{"mid": "0", "source": "mic", "ssrc": 1}]},
        "unknown_field",
        "tracks.ssrc",
    ),
    (
        {
            "type": "rtc.offer",
            "sdp": "v=0",
            "tracks": [{"mid": "4", "slot": "audio", "source": "mic"}],
        },
        "bad_field",
        "tracks.slot",
    ),
    (
        {"type": "rtc.offer", "sdp": "v=0", "tracks": [{"mid": "4", "slot": "ear"}]},
        "bad_field",
        "tracks.slot",
    ),
    ({"type": "rtc.subscribe", "peers": ["a", "b", "c"]}, "too_many", "peers"),
    ({"type": "rtc.subscribe", "peers": ["ok", "not ok"]}, "bad_peer", "peers"),
    ({"type": "rtc.subscribe", "peers": [], "large": ["a b"]}, "bad_peer", "large"),
    ({"type": "rtc.subscribe", "peers": [], "video": "no"}, "bad_field", "video"),
    ({"type": "rtc.subscribe", "peers": [], "quality": "hd"}, "unknown_field", "quality"),
    ({"type": "rtc.answer", "sdp": "v=0"}, "unknown_type", "type"),  # only the worker answers
    ({"type": "rtc.speaker", "peer": "x"}, "unknown_type", "type"),
]


def _frame(value: Any) -> Any:
    if value is None or isinstance(value, bytes | str):
        return value
    return json.dumps(value)


@pytest.mark.parametrize(("frame", "code", "field"), INVALID)
def test_invalid_messages_are_refused_naming_the_problem(frame: Any, code: str, field: str) -> None:
    with pytest.raises(p.ProtocolError) as raised:
        p.parse_client(_frame(frame), rtc=LIMITS)
    assert raised.value.code == code
    assert raised.value.field == field


def test_an_error_echoes_the_type_and_ref_of_the_bad_frame() -> None:
    with pytest.raises(p.ProtocolError) as raised:
        p.parse_client(json.dumps({"type": "chat.send", "text": "", "ref": "c7"}))
    assert (raised.value.type, raised.value.ref) == ("chat.send", "c7")


def test_a_frame_larger_than_the_limit_is_refused_before_parsing() -> None:
    with pytest.raises(p.ProtocolError) as raised:
        p.parse_client('{"type":"ping","x":"' + "a" * p.MAX_FRAME_BYTES + '"}')
    assert raised.value.code == "too_large"


def test_deeply_nested_json_does_not_crash() -> None:
    with pytest.raises(p.ProtocolError) as raised:
        p.parse_client("[" * 100_000 + "]" * 100_000)
    assert raised.value.code in {"bad_json", "too_large"}


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Nguye\u0302\u0303n", "Nguyễn"),  # decomposed input becomes NFC
        ("a\u202eb", "ab"),  # no right-to-left override tricks
        ("tab\there", "tab here"),
        ("  many   spaces ", "many spaces"),
    ],
)
def test_single_line_text_is_normalised(raw: str, clean: str) -> None:
    assert p.clean_text(raw, name="name", limit=60) == clean


def test_server_messages_encode_once_and_batch_without_decoding() -> None:
    first = p.encode(p.event("hands", queue=[]))
    second = p.encode(
        p.serialize_chat(p.ChatView(1, "abc", "Lan", "Chào <b>", "2026-01-01T00:00:00Z"))
    )
    frame = json.loads(p.batch([first, second]))
    assert frame["type"] == "batch"
    assert [m["type"] for m in frame["messages"]] == ["hands", "chat.message"]
    assert frame["messages"][1]["text"] == "Chào <b>"
    assert "ref" not in frame["messages"][1]


@pytest.mark.parametrize(
    ("message", "encoded"),
    [
        ({"type": "welcome", "you": {"name": "Cô Lan"}}, '[{"peer":"a"},{"peer":"b"}]'),
        ({"type": "welcome"}, "[]"),
        ({}, '[{"name":"Thầy \\"Minh\\""}]'),
    ],
)
def test_an_encoded_value_is_spliced_into_a_message(message: dict[str, Any], encoded: str) -> None:
    """Issue 14: a welcome carries its roster as text the room's hub encoded once."""
    text = p.encode_with(message, "participants", encoded)
    assert json.loads(text) == {**message, "participants": json.loads(encoded)}
    assert text.startswith(p.encode(message)[:-1])  # the type stays first


def test_errors_carry_code_message_field_and_ref() -> None:
    assert p.error("too_long", "Quá dài", field="text", for_type="chat.send", ref="c1") == {
        "type": "error",
        "code": "too_long",
        "message": "Quá dài",
        "field": "text",
        "for": "chat.send",
        "ref": "c1",
    }
