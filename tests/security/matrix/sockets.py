"""The WebSocket rows: who may send each message type, and a sample frame of each.

Keys are message types as the protocols enumerate them (matrix/routes.py); a key may add
``+variant`` for a second row of one type (``hand.lower+other``: somebody else's hand).
A frame builder gets the context and whether the sender is allowed: refused senders aim
at a real target (so a missed refusal shows in the meeting's state), allowed ones at a
harmless one (the gate is what the matrix checks; the services' own tests check effects).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from signaling.domain.protocol.messages import PROTOCOL_VERSION
from tests.security.matrix import roles as r

Frame = dict[str, Any]
Context = dict[str, Any]  # peers by role, "poll", "deck", "question"
Builder = Callable[[Context, bool], Frame]

# Everyone who joined the live room (the main room admits guests: signed-in outsiders
# join as participants); anonymous people and viewers get no join token.
JOINED = r.EVERYONE - {r.ANONYMOUS, r.VIEWER}
PRESENTING = r.HOSTS | {r.PRESENTER}
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 192.0.2.1 9 typ host", "sdpMid": "0"}


def _target(ctx: Context, allowed: bool, harmless: str = "nobody") -> str:
    return harmless if allowed else ctx["peers"][r.PARTICIPANT]


ROOM_RULES: dict[str, frozenset[str]] = {
    "hello": JOINED,  # a second hello: "already joined", never a second identity
    "ping": JOINED,
    "chat.send": JOINED,
    "hand.raise": JOINED,
    "hand.lower": JOINED,
    "hand.lower+other": r.HOSTS,
    "poll.create": PRESENTING,
    "poll.vote": JOINED,
    "poll.close": PRESENTING,
    "slides.show": PRESENTING,
    "slides.stop": PRESENTING,
    "mod.mute": r.HOSTS,
    "mod.mute_all": r.HOSTS,
    "mod.stop_video": r.HOSTS,
    "mod.remove": r.HOSTS,
    "mod.presenter": r.HOSTS,
    "mod.lock": r.HOSTS,
    "mod.lobby": r.HOSTS,
    "mod.admit": r.HOSTS,
    "mod.deny": r.HOSTS,
    "mod.end": r.HOSTS,  # its allowed cells end the meeting: checked last, one host at a time
    "media.state": JOINED,
    "rtc.offer": JOINED,
    "rtc.ice": JOINED,
    "rtc.tracks": JOINED,
    "rtc.subscribe": JOINED,
}

ROOM_FRAMES: dict[str, Builder] = {
    "hello": lambda c, a: {"type": "hello", "v": PROTOCOL_VERSION, "token": "x"},
    "ping": lambda c, a: {"type": "ping"},
    "chat.send": lambda c, a: {"type": "chat.send", "text": "Xin chào"},
    "hand.raise": lambda c, a: {"type": "hand.raise"},
    "hand.lower": lambda c, a: {"type": "hand.lower"},
    "hand.lower+other": lambda c, a: {"type": "hand.lower", "peer": c["peers"][r.HOST]},
    "poll.create": lambda c, a: {
        "type": "poll.create",
        "question": "Đồng ý?",
        "options": ["Có", "Không"],
    },
    "poll.vote": lambda c, a: {"type": "poll.vote", "poll": c["poll"], "choices": [0]},
    "poll.close": lambda c, a: {"type": "poll.close", "poll": c["poll"]},
    "slides.show": lambda c, a: {"type": "slides.show", "deck": c["deck"], "page": 1},
    "slides.stop": lambda c, a: {"type": "slides.stop"},
    "mod.mute": lambda c, a: {"type": "mod.mute", "peer": _target(c, a, c["peers"][r.HOST])},
    "mod.mute_all": lambda c, a: {"type": "mod.mute_all"},
    "mod.stop_video": lambda c, a: {
        "type": "mod.stop_video",
        "peer": _target(c, a, c["peers"][r.HOST]),
    },
    "mod.remove": lambda c, a: {"type": "mod.remove", "peer": _target(c, a)},
    "mod.presenter": lambda c, a: {"type": "mod.presenter", "peer": _target(c, a), "on": True},
    "mod.lock": lambda c, a: {"type": "mod.lock", "locked": not a},
    "mod.lobby": lambda c, a: {"type": "mod.lobby", "enabled": not a},
    "mod.admit": lambda c, a: {"type": "mod.admit", "peer": "nobody"},
    "mod.deny": lambda c, a: {"type": "mod.deny", "peer": "nobody"},
    "mod.end": lambda c, a: {"type": "mod.end"},
    "media.state": lambda c, a: {"type": "media.state", "audio": True, "video": True},
    "rtc.offer": lambda c, a: {"type": "rtc.offer", "sdp": SDP},
    "rtc.ice": lambda c, a: {"type": "rtc.ice", "candidate": CANDIDATE},
    "rtc.tracks": lambda c, a: {"type": "rtc.tracks", "tracks": [{"mid": "0", "source": "mic"}]},
    "rtc.subscribe": lambda c, a: {"type": "rtc.subscribe", "peers": []},
}

# The watch socket: every role connects as a viewer; the room's hosts also open the
# moderation panel (?mode=moderate), shown as "<role>+moderating".
MODERATING = frozenset(f"{role}+moderating" for role in r.HOSTS)
VIEWERS = r.EVERYONE
WATCH_RULES: dict[str, frozenset[str]] = {
    "qa.ask": VIEWERS | MODERATING,
    "chat.send": VIEWERS | MODERATING,  # refused as "chat_off" until a host turns it on
    "rtc.offer": VIEWERS,  # the moderation panel plays no video
    "rtc.ice": VIEWERS,
    "qa.approve": MODERATING,
    "qa.answer": MODERATING,
    "qa.highlight": MODERATING,
    "qa.hide": MODERATING,
    "chat.toggle": MODERATING,
}

WATCH_FRAMES: dict[str, Builder] = {
    "qa.ask": lambda c, a: {"type": "qa.ask", "text": "Khi nào có tài liệu?", "name": "Lan"},
    "chat.send": lambda c, a: {"type": "chat.send", "text": "Chào", "name": "Lan"},
    "rtc.offer": lambda c, a: {"type": "rtc.offer", "sdp": SDP},
    "rtc.ice": lambda c, a: {"type": "rtc.ice", "candidate": CANDIDATE},
    "qa.approve": lambda c, a: {"type": "qa.approve", "id": c["question"]},
    "qa.answer": lambda c, a: {"type": "qa.answer", "id": c["question"], "text": "Ngày mai"},
    "qa.highlight": lambda c, a: {"type": "qa.highlight", "id": c["question"], "on": True},
    "qa.hide": lambda c, a: {"type": "qa.hide", "id": c["question"]},
    "chat.toggle": lambda c, a: {"type": "chat.toggle", "enabled": True},
}

REFUSED_CODES = frozenset({"forbidden", "forbidden_presenter"})


def base_type(key: str) -> str:
    """The message type of a rule key (``hand.lower+other`` → ``hand.lower``)."""
    return key.split("+", 1)[0]
