"""The watch socket's messages (docs/protocol.md, "Watch page"): parse and build.

Viewers send ``qa.ask`` and, when the host allows it, ``chat.send``, and to watch over
WebRTC ``rtc.offer`` and ``rtc.ice`` (relayed to the media worker, mediaworker/wire.py);
hosts also send ``qa.approve``, ``qa.answer``, ``qa.highlight``, ``qa.hide`` and
``chat.toggle``. Parsing checks shape and text; who may send what is the consumer's
business.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from broadcasts.domain.text import (
    MAX_ANSWER_CHARS,
    TextRefused,
    clean_name,
    clean_text,
)
from mediaworker.wire import MAX_CANDIDATE_BYTES, MAX_SDP_BYTES

MAX_MESSAGE_BYTES = 8_000
MAX_OFFER_BYTES = MAX_SDP_BYTES + 1_000  # an rtc.offer: its SDP in a JSON object
_SURROGATE = re.compile("[\ud800-\udfff]")


class ProtocolError(ValueError):
    """A message that cannot be understood; ``code`` names the problem."""

    def __init__(self, code: str, limit: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.limit = limit


@dataclass(frozen=True)
class Ask:
    text: str
    name: str


@dataclass(frozen=True)
class ChatSend:
    text: str
    name: str


@dataclass(frozen=True)
class Moderate:
    """A host acts on one question: approve, answer (with text), highlight, hide."""

    action: str
    question: int
    text: str = ""
    on: bool = True


@dataclass(frozen=True)
class ChatToggle:
    enabled: bool


@dataclass(frozen=True)
class RtcOffer:
    """A viewer's offer to receive the program.

    Only the SDP: a viewer's m-lines say what they are (one video, the program; audio,
    the presenters), so there is no track list to trust or check."""

    sdp: str


@dataclass(frozen=True)
class RtcIce:
    """One of a viewer's ICE candidates (None: the end of them)."""

    candidate: dict[str, Any] | None


ClientMessage = Ask | ChatSend | Moderate | ChatToggle | RtcOffer | RtcIce
HOST_TYPES = frozenset({"qa.approve", "qa.answer", "qa.highlight", "qa.hide", "chat.toggle"})


def _question_id(data: dict[str, Any]) -> int:
    value = data.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ProtocolError("bad_message")
    return value


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, True)
    if not isinstance(value, bool):
        raise ProtocolError("bad_message")
    return value


def _offer(data: dict[str, Any]) -> RtcOffer:
    sdp = data.get("sdp")
    # A lone surrogate (JSON can escape one) has no UTF-8: no SDP holds one.
    if not isinstance(sdp, str) or not sdp or _SURROGATE.search(sdp):
        raise ProtocolError("bad_message")
    if len(sdp.encode("utf-8")) > MAX_SDP_BYTES:
        raise ProtocolError("bad_message")
    return RtcOffer(sdp)


def _candidate(data: dict[str, Any]) -> RtcIce:
    candidate = data.get("candidate")
    if candidate is None:
        return RtcIce(None)
    if (
        not isinstance(candidate, dict)
        or not isinstance(candidate.get("candidate"), str)
        or len(json.dumps(candidate)) > MAX_CANDIDATE_BYTES
    ):
        raise ProtocolError("bad_message")
    return RtcIce(candidate)


def parse(raw: str) -> ClientMessage:
    """The message in ``raw`` (one JSON object), or ``ProtocolError``."""
    size = len(raw.encode("utf-8", "surrogatepass"))
    if size > MAX_OFFER_BYTES:
        raise ProtocolError("too_long", MAX_MESSAGE_BYTES)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_message") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError("bad_message")
    kind = data["type"]
    if kind == "rtc.offer":
        return _offer(data)
    if size > MAX_MESSAGE_BYTES:  # only an offer carries a long SDP
        raise ProtocolError("too_long", MAX_MESSAGE_BYTES)
    if kind == "rtc.ice":
        return _candidate(data)
    try:  # the one place a text's refusal becomes the protocol's
        if kind in ("qa.ask", "chat.send"):
            name = clean_name(data.get("name"))
            text = clean_text(data.get("text"))
            return Ask(text, name) if kind == "qa.ask" else ChatSend(text, name)
        if kind == "qa.answer":
            question = _question_id(data)  # checked first: a bad id is bad_message, text or not
            answer = clean_text(data.get("text"), limit=MAX_ANSWER_CHARS)
            return Moderate("answer", question, answer)
    except TextRefused as refused:
        raise ProtocolError(refused.code, refused.limit) from None
    if kind == "qa.highlight":
        return Moderate("highlight", _question_id(data), on=_flag(data, "on"))
    if kind in ("qa.approve", "qa.hide"):
        return Moderate(kind.removeprefix("qa."), _question_id(data))
    if kind == "chat.toggle":
        return ChatToggle(_flag(data, "enabled"))
    raise ProtocolError("unknown_type")


def encode(message: dict[str, Any]) -> str:
    """One server message as compact JSON text (UTF-8 kept, not escaped)."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))
