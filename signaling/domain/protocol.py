"""The live-room WebSocket protocol, version 1 (docs/protocol.md): parse and serialize.

Every frame is one JSON object with a ``type``. ``parse_client`` turns a browser's frame
into a typed message or raises ``ProtocolError`` naming the problem (its ``code`` and
``field``; the consumer words it for people). ``to_wire`` is its inverse, used by tests and
the benchmark's clients. The ``serialize_*`` functions build what the server sends.
Plain Python: no Django, no Channels.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, ClassVar

PROTOCOL_VERSION = 1

# Sizes (characters unless the name says bytes).
MAX_FRAME_BYTES = 80_000  # an rtc.offer of MAX_SDP_BYTES plus its track list
MAX_TOKEN_CHARS = 1_000
MAX_REF_CHARS = 64
MAX_PEER_CHARS = 32
MAX_CHAT_CHARS = 2_000
MAX_NAME_CHARS = 60
MAX_QUESTION_CHARS = 300
MAX_OPTION_CHARS = 120
MIN_POLL_OPTIONS = 2
MAX_POLL_OPTIONS = 10
MAX_ID = 2**53 - 1  # integers a browser keeps exactly

# Defaults of the wire limits that mediaworker/wire.py owns; the consumer passes the real ones.
RTC_SOURCES: tuple[str, ...] = ("mic", "camera", "screen")
RTC_SLOTS: tuple[str, ...] = ("audio", "camera", "screen")
MAX_MID_CHARS = 32

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


# -- client → server messages --------------------------------------------------------------


@dataclass(frozen=True)
class ClientMessage:
    """Base of every message a browser sends; ``ref`` is echoed in errors."""

    type: ClassVar[str] = ""
    ref: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class Hello(ClientMessage):
    type: ClassVar[str] = "hello"
    v: int
    token: str
    resume: str = ""


@dataclass(frozen=True)
class Ping(ClientMessage):
    type: ClassVar[str] = "ping"


@dataclass(frozen=True)
class ChatSend(ClientMessage):
    type: ClassVar[str] = "chat.send"
    text: str


@dataclass(frozen=True)
class HandRaise(ClientMessage):
    type: ClassVar[str] = "hand.raise"


@dataclass(frozen=True)
class HandLower(ClientMessage):
    """Lower one's own hand, or (a host) somebody else's."""

    type: ClassVar[str] = "hand.lower"
    peer: str = ""


@dataclass(frozen=True)
class PollCreate(ClientMessage):
    type: ClassVar[str] = "poll.create"
    question: str
    options: tuple[str, ...]
    multiple: bool = False


@dataclass(frozen=True)
class PollVote(ClientMessage):
    type: ClassVar[str] = "poll.vote"
    poll: int
    choices: tuple[int, ...]


@dataclass(frozen=True)
class PollClose(ClientMessage):
    type: ClassVar[str] = "poll.close"
    poll: int


@dataclass(frozen=True)
class SlidesShow(ClientMessage):
    type: ClassVar[str] = "slides.show"
    deck: int
    page: int = 1


@dataclass(frozen=True)
class SlidesStop(ClientMessage):
    type: ClassVar[str] = "slides.stop"


@dataclass(frozen=True)
class ModMute(ClientMessage):
    type: ClassVar[str] = "mod.mute"
    peer: str


@dataclass(frozen=True)
class ModMuteAll(ClientMessage):
    type: ClassVar[str] = "mod.mute_all"


@dataclass(frozen=True)
class ModStopVideo(ClientMessage):
    type: ClassVar[str] = "mod.stop_video"
    peer: str


@dataclass(frozen=True)
class ModRemove(ClientMessage):
    type: ClassVar[str] = "mod.remove"
    peer: str


@dataclass(frozen=True)
class ModPresenter(ClientMessage):
    type: ClassVar[str] = "mod.presenter"
    peer: str
    on: bool = True


@dataclass(frozen=True)
class ModLock(ClientMessage):
    type: ClassVar[str] = "mod.lock"
    locked: bool


@dataclass(frozen=True)
class ModLobby(ClientMessage):
    type: ClassVar[str] = "mod.lobby"
    enabled: bool


@dataclass(frozen=True)
class ModAdmit(ClientMessage):
    type: ClassVar[str] = "mod.admit"
    peer: str


@dataclass(frozen=True)
class ModDeny(ClientMessage):
    type: ClassVar[str] = "mod.deny"
    peer: str


@dataclass(frozen=True)
class ModEnd(ClientMessage):
    type: ClassVar[str] = "mod.end"


@dataclass(frozen=True)
class MediaState(ClientMessage):
    """What this browser sends now (for the participant list; the worker is not told)."""

    type: ClassVar[str] = "media.state"
    audio: bool
    video: bool
    screen: bool = False


@dataclass(frozen=True)
class RtcSignal(ClientMessage):
    """A browser's WebRTC message for the media worker (rtc.offer/ice/tracks/subscribe)."""

    type: ClassVar[str] = "rtc"
    signal: dict[str, Any]

    @property
    def kind(self) -> str:
        """The rtc.* type of the signal."""
        return str(self.signal["type"])


@dataclass(frozen=True)
class RtcLimits:
    """Sizes from mediaworker/wire.py, passed in so the domain imports nothing."""

    max_sdp_bytes: int = 64_000
    max_candidate_bytes: int = 1_000
    max_tracks: int = 64
    max_subscribe_peers: int = 64
    sources: tuple[str, ...] = RTC_SOURCES
    slots: tuple[str, ...] = RTC_SLOTS


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
            raise self.error("bad_peer", name, MAX_PEER_CHARS)
        return value

    def integer(self, name: str, *, minimum: int = 1, required: bool = True) -> int:
        value = self.raw(name, required=required)
        if value is None and not required:
            return minimum
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error("bad_field", name)
        if not minimum <= value <= MAX_ID:
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


def _hello(f: _Fields) -> Hello:
    version = f.raw("v", required=True)
    if isinstance(version, bool) or not isinstance(version, int):
        raise f.error("bad_field", "v")
    if version != PROTOCOL_VERSION:
        raise f.error("bad_version", "v", PROTOCOL_VERSION)
    token = f.raw("token", required=True)
    if not isinstance(token, str) or not token:
        raise f.error("bad_field", "token")
    if len(token) > MAX_TOKEN_CHARS:
        raise f.error("too_long", "token", MAX_TOKEN_CHARS)
    return Hello(v=version, token=token, resume=f.peer("resume", required=False), ref=f.ref)


def _poll_create(f: _Fields) -> PollCreate:
    question = f.text("question", limit=MAX_QUESTION_CHARS)
    raw = f.array("options", most=MAX_POLL_OPTIONS, least=MIN_POLL_OPTIONS)
    options = tuple(
        clean_text(option, name="options", limit=MAX_OPTION_CHARS, fields=f) for option in raw
    )
    if len({option.casefold() for option in options}) != len(options):
        raise f.error("duplicate", "options")
    return PollCreate(
        question=question, options=options, multiple=f.boolean("multiple", default=False), ref=f.ref
    )


def _poll_vote(f: _Fields) -> PollVote:
    poll = f.integer("poll")
    raw = f.array("choices", most=MAX_POLL_OPTIONS, least=1)
    choices: list[int] = []
    for choice in raw:
        if isinstance(choice, bool) or not isinstance(choice, int):
            raise f.error("bad_field", "choices")
        if not 0 <= choice < MAX_POLL_OPTIONS:
            raise f.error("out_of_range", "choices", 0)
        choices.append(choice)
    if len(set(choices)) != len(choices):
        raise f.error("duplicate", "choices")
    return PollVote(poll=poll, choices=tuple(choices), ref=f.ref)


_SIMPLE: dict[str, Callable[[_Fields], ClientMessage]] = {
    "hello": _hello,
    "ping": lambda f: Ping(ref=f.ref),
    "chat.send": lambda f: ChatSend(
        text=f.text("text", limit=MAX_CHAT_CHARS, multiline=True), ref=f.ref
    ),
    "hand.raise": lambda f: HandRaise(ref=f.ref),
    "hand.lower": lambda f: HandLower(peer=f.peer(required=False), ref=f.ref),
    "poll.create": _poll_create,
    "poll.vote": _poll_vote,
    "poll.close": lambda f: PollClose(poll=f.integer("poll"), ref=f.ref),
    "slides.show": lambda f: SlidesShow(
        deck=f.integer("deck"), page=f.integer("page", required=False), ref=f.ref
    ),
    "slides.stop": lambda f: SlidesStop(ref=f.ref),
    "mod.mute": lambda f: ModMute(peer=f.peer(), ref=f.ref),
    "mod.mute_all": lambda f: ModMuteAll(ref=f.ref),
    "mod.stop_video": lambda f: ModStopVideo(peer=f.peer(), ref=f.ref),
    "mod.remove": lambda f: ModRemove(peer=f.peer(), ref=f.ref),
    "mod.presenter": lambda f: ModPresenter(
        peer=f.peer(), on=f.boolean("on", default=True), ref=f.ref
    ),
    "mod.lock": lambda f: ModLock(locked=f.boolean("locked"), ref=f.ref),
    "mod.lobby": lambda f: ModLobby(enabled=f.boolean("enabled"), ref=f.ref),
    "mod.admit": lambda f: ModAdmit(peer=f.peer(), ref=f.ref),
    "mod.deny": lambda f: ModDeny(peer=f.peer(), ref=f.ref),
    "mod.end": lambda f: ModEnd(ref=f.ref),
    "media.state": lambda f: MediaState(
        audio=f.boolean("audio"),
        video=f.boolean("video"),
        screen=f.boolean("screen", default=False),
        ref=f.ref,
    ),
}

RTC_BROWSER_TYPES: frozenset[str] = frozenset(
    {"rtc.offer", "rtc.ice", "rtc.tracks", "rtc.subscribe"}
)
CLIENT_TYPES: frozenset[str] = frozenset(_SIMPLE) | RTC_BROWSER_TYPES


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _rtc_tracks(f: _Fields, limits: RtcLimits) -> list[dict[str, Any]]:
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
        if not isinstance(mid, str) or not 0 < len(mid) <= MAX_MID_CHARS:
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


def _rtc(f: _Fields, limits: RtcLimits) -> RtcSignal:
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
        peers = f.array("peers", most=limits.max_subscribe_peers)
        for peer in peers:
            if not isinstance(peer, str) or not _PEER_RE.match(peer):
                raise f.error("bad_peer", "peers", MAX_PEER_CHARS)
        signal["peers"] = list(peers)
    return RtcSignal(signal=signal, ref=f.ref)


def parse_client(text: str | bytes | None, *, rtc: RtcLimits | None = None) -> ClientMessage:
    """Parse and validate one frame from a browser; raise ``ProtocolError`` if it is bad."""
    if text is None or isinstance(text, bytes):
        raise ProtocolError("not_text")
    if _utf8_len(text) > MAX_FRAME_BYTES:
        raise ProtocolError("too_large", limit=MAX_FRAME_BYTES)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json") from None
    if not isinstance(data, dict):
        raise ProtocolError("not_object")
    ref = data.get("ref", "")
    # ref is echoed in errors, so it must be plain text that encodes.
    if not isinstance(ref, str) or len(ref) > MAX_REF_CHARS or _CONTROL_RE.search(ref):
        raise ProtocolError("bad_field", field="ref", limit=MAX_REF_CHARS)
    type_ = data.get("type")
    if not isinstance(type_, str) or not type_:
        raise ProtocolError("missing_type", field="type", ref=ref)
    if type_ not in CLIENT_TYPES:
        shown = _CONTROL_RE.sub("\ufffd", type_[:40])  # echoed: no surrogate, no override
        raise ProtocolError("unknown_type", field="type", type=shown, ref=ref)
    reader = _Fields(data, type_, ref)
    message = (
        _rtc(reader, rtc or RtcLimits()) if type_ in RTC_BROWSER_TYPES else _SIMPLE[type_](reader)
    )
    reader.done()
    return message


def to_wire(message: ClientMessage) -> dict[str, Any]:
    """The JSON object a browser would send for ``message`` (inverse of ``parse_client``)."""
    if isinstance(message, RtcSignal):
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


# -- server → client messages ----------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantView:
    """A participant as every member sees them."""

    peer: str
    name: str
    role: str  # host | participant | guest
    presenter: bool = False
    hand: str | None = None  # ISO time the hand went up
    audio: bool = False
    video: bool = False
    screen: bool = False


@dataclass(frozen=True)
class ChatView:
    id: int
    peer: str
    name: str
    text: str
    at: str
    ref: str = ""


@dataclass(frozen=True)
class PollView:
    id: int
    question: str
    options: tuple[str, ...]
    multiple: bool
    closed: bool
    counts: tuple[int, ...]
    voters: int
    by: str


@dataclass(frozen=True)
class FileView:
    id: int
    name: str
    size: int
    url: str
    by: str
    at: str


@dataclass(frozen=True)
class SlidesView:
    deck: int
    title: str
    page: int
    pages: int
    image: str
    text: str
    width: int
    height: int


@dataclass(frozen=True)
class DeckView:
    id: int
    title: str
    pages: int
    by: str


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


def batch(texts: Iterable[str]) -> str:
    """One ``batch`` frame from already encoded messages, without decoding them again."""
    return '{"type":"batch","messages":[' + ",".join(texts) + "]}"
