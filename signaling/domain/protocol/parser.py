"""Parsing a browser's frame into a typed message (docs/protocol.md), and back.

``parse_client`` turns a frame into a message from ``messages`` or raises ``ProtocolError``
naming the problem (its ``code`` and ``field``; the consumer words it for people).
``to_wire`` is its inverse, used by tests and the benchmark's clients. Plain Python.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from signaling.domain.protocol import messages as m

_PEER_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Lone surrogates (JSON can escape them) are no text: they break UTF-8 on the way out.
_CONTROL_RE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


class ProtocolError(Exception):
    """A frame that breaks the protocol; ``code`` and ``field`` say how."""

    def __init__(
        self, code: str, *, field: str = "", limit: int = 0, type: str = "", ref: str = ""
    ) -> None:
        super().__init__(f"{code}:{field}" if field else code)
        self.code = code
        self.field = field
        self.limit = limit
        self.type = type
        self.ref = ref


def _is_integer(value: Any) -> bool:
    """A JSON integer: Python's ``True`` is an ``int`` too, but not a number here."""
    return isinstance(value, int) and not isinstance(value, bool)


# -- field readers ---------------------------------------------------------------------------


class _Fields:
    """The fields of one frame; every read is checked and unread fields are refused."""

    def __init__(self, data: dict[str, Any], type_: str, ref: str) -> None:
        self.data, self.type, self.ref = data, type_, ref
        self.read: set[str] = {"type", "ref"}

    def error(self, code: str, name: str, limit: int = 0) -> ProtocolError:
        return ProtocolError(code, field=name, limit=limit, type=self.type, ref=self.ref)

    def raw(self, name: str, *, required: bool) -> Any:
        self.read.add(name)
        if name not in self.data:
            if required:
                raise self.error("missing_field", name)
            return None
        return self.data[name]

    def text(self, name: str, *, limit: int, required: bool = True, multiline: bool = False) -> str:
        value = self.raw(name, required=required)
        if value is None and not required:
            return ""
        return clean_text(value, name=name, limit=limit, multiline=multiline, fields=self)

    def peer(self, name: str = "peer", *, required: bool = True) -> str:
        value = self.raw(name, required=required)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise self.error("bad_field", name)
        if value == "" and not required:
            return ""
        if not _PEER_RE.match(value):
            raise self.error("bad_peer", name, m.MAX_PEER_CHARS)
        return value

    def integer(self, name: str, *, minimum: int = 1, required: bool = True) -> int:
        value = self.raw(name, required=required)
        if value is None and not required:
            return minimum
        if not _is_integer(value):
            raise self.error("bad_field", name)
        if not minimum <= value <= m.MAX_ID:
            raise self.error("out_of_range", name, minimum)
        return value

    def boolean(self, name: str, *, default: bool | None = None) -> bool:
        value = self.raw(name, required=default is None)
        if value is None and default is not None:
            return default
        if not isinstance(value, bool):
            raise self.error("bad_field", name)
        return value

    def array(self, name: str, *, most: int, least: int = 0) -> list[Any]:
        value = self.raw(name, required=True)
        if not isinstance(value, list):
            raise self.error("bad_field", name)
        if len(value) > most:
            raise self.error("too_many", name, most)
        if len(value) < least:
            raise self.error("too_few", name, least)
        return value

    def done(self) -> None:
        for name in self.data:
            if name not in self.read:
                raise self.error("unknown_field", name)


def clean_text(
    value: Any, *, name: str, limit: int, multiline: bool = False, fields: _Fields | None = None
) -> str:
    """NFC, no control or bidi-override characters, trimmed, non-empty, at most ``limit``."""

    def error(code: str, bound: int = 0) -> ProtocolError:
        if fields is not None:
            return fields.error(code, name, bound)
        return ProtocolError(code, field=name, limit=bound)

    if not isinstance(value, str):
        raise error("bad_field")
    text = unicodedata.normalize("NFC", value)
    if multiline:
        text = "\n".join(_CONTROL_RE.sub("", line).rstrip() for line in text.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", text)
    else:
        text = " ".join(_CONTROL_RE.sub("", text).split())
    text = text.strip()
    if not text:
        raise error("empty")
    if len(text) > limit:
        raise error("too_long", limit)
    return text


# -- parsers ---------------------------------------------------------------------------------


def _hello(f: _Fields) -> m.Hello:
    version = f.raw("v", required=True)
    if not _is_integer(version):
        raise f.error("bad_field", "v")
    if version != m.PROTOCOL_VERSION:
        raise f.error("bad_version", "v", m.PROTOCOL_VERSION)
    token = f.raw("token", required=True)
    if not isinstance(token, str) or not token:
        raise f.error("bad_field", "token")
    if len(token) > m.MAX_TOKEN_CHARS:
        raise f.error("too_long", "token", m.MAX_TOKEN_CHARS)
    return m.Hello(v=version, token=token, resume=f.peer("resume", required=False), ref=f.ref)


def _poll_create(f: _Fields) -> m.PollCreate:
    question = f.text("question", limit=m.MAX_QUESTION_CHARS)
    raw = f.array("options", most=m.MAX_POLL_OPTIONS, least=m.MIN_POLL_OPTIONS)
    options = tuple(
        clean_text(option, name="options", limit=m.MAX_OPTION_CHARS, fields=f) for option in raw
    )
    if len({option.casefold() for option in options}) != len(options):
        raise f.error("duplicate", "options")
    return m.PollCreate(
        question=question, options=options, multiple=f.boolean("multiple", default=False), ref=f.ref
    )


def _poll_vote(f: _Fields) -> m.PollVote:
    poll = f.integer("poll")
    raw = f.array("choices", most=m.MAX_POLL_OPTIONS, least=1)
    choices: list[int] = []
    for choice in raw:
        if not _is_integer(choice):
            raise f.error("bad_field", "choices")
        if not 0 <= choice < m.MAX_POLL_OPTIONS:
            raise f.error("out_of_range", "choices", 0)
        choices.append(choice)
    if len(set(choices)) != len(choices):
        raise f.error("duplicate", "choices")
    return m.PollVote(poll=poll, choices=tuple(choices), ref=f.ref)


def _bare(kind: type[m.ClientMessage]) -> Callable[[_Fields], m.ClientMessage]:
    """The reader of a message that has no field but ``ref``."""
    return lambda f: kind(ref=f.ref)


def _on_peer(kind: type[m.PeerMessage]) -> Callable[[_Fields], m.ClientMessage]:
    """The reader of a host's action on one participant."""
    return lambda f: kind(peer=f.peer(), ref=f.ref)


_SIMPLE: dict[str, Callable[[_Fields], m.ClientMessage]] = {
    "hello": _hello,
    "ping": _bare(m.Ping),
    "chat.send": lambda f: m.ChatSend(
        text=f.text("text", limit=m.MAX_CHAT_CHARS, multiline=True),
        jury=f.boolean("jury", default=False),
        ref=f.ref,
    ),
    "hand.raise": _bare(m.HandRaise),
    "hand.lower": lambda f: m.HandLower(peer=f.peer(required=False), ref=f.ref),
    "poll.create": _poll_create,
    "poll.vote": _poll_vote,
    "poll.close": lambda f: m.PollClose(poll=f.integer("poll"), ref=f.ref),
    "slides.show": lambda f: m.SlidesShow(
        deck=f.integer("deck"), page=f.integer("page", required=False), ref=f.ref
    ),
    "slides.stop": _bare(m.SlidesStop),
    "mod.mute": _on_peer(m.ModMute),
    "mod.mute_all": _bare(m.ModMuteAll),
    "mod.stop_video": _on_peer(m.ModStopVideo),
    "mod.remove": _on_peer(m.ModRemove),
    "mod.presenter": lambda f: m.ModPresenter(
        peer=f.peer(), on=f.boolean("on", default=True), ref=f.ref
    ),
    "mod.lock": lambda f: m.ModLock(locked=f.boolean("locked"), ref=f.ref),
    "mod.lobby": lambda f: m.ModLobby(enabled=f.boolean("enabled"), ref=f.ref),
    "mod.admit": _on_peer(m.ModAdmit),
    "mod.deny": _on_peer(m.ModDeny),
    "mod.end": _bare(m.ModEnd),
    "media.state": lambda f: m.MediaState(
        audio=f.boolean("audio"),
        video=f.boolean("video"),
        screen=f.boolean("screen", default=False),
        listen=f.boolean("listen", default=False),
        ref=f.ref,
    ),
}

RTC_BROWSER_TYPES: frozenset[str] = frozenset(
    {"rtc.offer", "rtc.ice", "rtc.tracks", "rtc.subscribe"}
)
CLIENT_TYPES: frozenset[str] = frozenset(_SIMPLE) | RTC_BROWSER_TYPES


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _rtc_tracks(f: _Fields, limits: m.RtcLimits) -> list[dict[str, Any]]:
    """A track list: publish entries ``{mid, kind?, source, active?}`` and (in an offer)
    receive slots ``{mid, kind?, slot}``."""
    tracks: list[dict[str, Any]] = []
    for raw in f.array("tracks", most=limits.max_tracks):
        if not isinstance(raw, dict):
            raise f.error("bad_field", "tracks")
        unknown = set(raw) - {"mid", "kind", "source", "active", "slot"}
        if unknown:
            raise f.error("unknown_field", f"tracks.{sorted(unknown)[0]}")
        mid = raw.get("mid")
        if not isinstance(mid, str) or not 0 < len(mid) <= m.MAX_MID_CHARS:
            raise f.error("bad_field", "tracks.mid")
        track: dict[str, Any] = {"mid": mid}
        if "slot" in raw:
            if "source" in raw or "active" in raw or raw["slot"] not in limits.slots:
                raise f.error("bad_field", "tracks.slot")
            track["slot"] = raw["slot"]
        else:
            source, active = raw.get("source"), raw.get("active", True)
            if source not in limits.sources:
                raise f.error("bad_field", "tracks.source")
            if not isinstance(active, bool):
                raise f.error("bad_field", "tracks.active")
            track["source"], track["active"] = source, active
        if "kind" in raw:
            if raw["kind"] not in ("audio", "video"):
                raise f.error("bad_field", "tracks.kind")
            track["kind"] = raw["kind"]
        tracks.append(track)
    return tracks


def _peer_list(f: _Fields, name: str, limits: m.RtcLimits) -> list[str]:
    peers = f.array(name, most=limits.max_subscribe_peers)
    for peer in peers:
        if not isinstance(peer, str) or not _PEER_RE.match(peer):
            raise f.error("bad_peer", name, m.MAX_PEER_CHARS)
    return list(peers)


def _rtc(f: _Fields, limits: m.RtcLimits) -> m.RtcSignal:
    signal: dict[str, Any] = {"type": f.type}
    if f.type == "rtc.offer":
        sdp = f.raw("sdp", required=True)
        if not isinstance(sdp, str) or not sdp or _SURROGATE_RE.search(sdp):
            raise f.error("bad_field", "sdp")
        if _utf8_len(sdp) > limits.max_sdp_bytes:
            raise f.error("too_large", "sdp", limits.max_sdp_bytes)
        signal["sdp"] = sdp
        if "tracks" in f.data:
            signal["tracks"] = _rtc_tracks(f, limits)
    elif f.type == "rtc.ice":
        candidate = f.raw("candidate", required=True)
        if candidate is not None:
            if not isinstance(candidate, dict):
                raise f.error("bad_field", "candidate")
            if _utf8_len(json.dumps(candidate)) > limits.max_candidate_bytes:
                raise f.error("too_large", "candidate", limits.max_candidate_bytes)
            text = candidate.get("candidate")
            if not isinstance(text, str):
                raise f.error("bad_field", "candidate.candidate")
        signal["candidate"] = candidate
    elif f.type == "rtc.tracks":
        signal["tracks"] = _rtc_tracks(f, limits)
    else:  # rtc.subscribe
        signal["peers"] = _peer_list(f, "peers", limits)
        if "large" in f.data:  # peers whose tile is big: their high layer when it fits
            signal["large"] = _peer_list(f, "large", limits)
        if "video" in f.data:  # false: the weak-connection mode, no camera received
            signal["video"] = f.boolean("video")
    return m.RtcSignal(signal=signal, ref=f.ref)


def parse_client(text: str | bytes | None, *, rtc: m.RtcLimits | None = None) -> m.ClientMessage:
    """Parse and validate one frame from a browser; raise ``ProtocolError`` if it is bad."""
    if text is None or isinstance(text, bytes):
        raise ProtocolError("not_text")
    if _utf8_len(text) > m.MAX_FRAME_BYTES:
        raise ProtocolError("too_large", limit=m.MAX_FRAME_BYTES)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json") from None
    if not isinstance(data, dict):
        raise ProtocolError("not_object")
    ref = data.get("ref", "")
    # ref is echoed in errors, so it must be plain text that encodes.
    if not isinstance(ref, str) or len(ref) > m.MAX_REF_CHARS or _CONTROL_RE.search(ref):
        raise ProtocolError("bad_field", field="ref", limit=m.MAX_REF_CHARS)
    type_ = data.get("type")
    if not isinstance(type_, str) or not type_:
        raise ProtocolError("missing_type", field="type", ref=ref)
    if type_ not in CLIENT_TYPES:
        shown = _CONTROL_RE.sub("\ufffd", type_[:40])  # echoed: no surrogate, no override
        raise ProtocolError("unknown_type", field="type", type=shown, ref=ref)
    reader = _Fields(data, type_, ref)
    message = (
        _rtc(reader, rtc or m.RtcLimits()) if type_ in RTC_BROWSER_TYPES else _SIMPLE[type_](reader)
    )
    reader.done()
    return message


def to_wire(message: m.ClientMessage) -> dict[str, Any]:
    """The JSON object a browser would send for ``message`` (inverse of ``parse_client``)."""
    if isinstance(message, m.RtcSignal):
        data = dict(message.signal)
    else:
        data = {"type": message.type}
        for item in fields(message):
            if item.name == "ref":
                continue
            value = getattr(message, item.name)
            data[item.name] = list(value) if isinstance(value, tuple) else value
    if message.ref:
        data["ref"] = message.ref
    return data
