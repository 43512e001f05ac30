"""What the server sends on the live-room socket (docs/protocol.md lists every type).

Plain Python: no Django, no Channels.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from signaling.domain.protocol.messages import ChatView, ParticipantView, PollView


def _plain(value: Any) -> Any:
    data = asdict(value)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def serialize_participant(view: ParticipantView) -> dict[str, Any]:
    """One participant for the wire."""
    return _plain(view)


def serialize_chat(view: ChatView) -> dict[str, Any]:
    """``chat.message``."""
    data = _plain(view)
    if not view.ref:
        del data["ref"]
    if not view.jury:
        del data["jury"]
    return {"type": "chat.message", **data}


def serialize_poll(view: PollView) -> dict[str, Any]:
    """A poll with its live results."""
    return _plain(view)


def event(type_: str, **payload: Any) -> dict[str, Any]:
    """Any server message: ``{"type": type_, **payload}`` (docs/protocol.md lists them)."""
    return {"type": type_, **payload}


def error(
    code: str, message: str, *, field: str = "", for_type: str = "", ref: str = ""
) -> dict[str, Any]:
    """``error``: what was wrong, worded for people, and which frame it answers."""
    data: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if field:
        data["field"] = field
    if for_type:
        data["for"] = for_type
    if ref:
        data["ref"] = ref
    return data


def encode(message: dict[str, Any]) -> str:
    """The text of one frame (compact JSON, UTF-8 kept as is)."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def encode_with(message: dict[str, Any], key: str, encoded: str) -> str:
    """``encode(message)`` with ``key`` (put last) holding an already encoded JSON value.

    A welcome into a room of 5,000 carries the roster: encoding its 5,000 objects again
    for every join was most of a join's cost; the room's hub keeps each one encoded."""
    text = encode(message)
    return f"{text[:-1]}{',' if len(text) > 2 else ''}{json.dumps(key)}:{encoded}}}"


def batch(texts: Iterable[str]) -> str:
    """One ``batch`` frame from already encoded messages, without decoding them again."""
    return '{"type":"batch","messages":[' + ",".join(texts) + "]}"
