"""The live-room protocol's message types and sizes (docs/protocol.md).

Client messages are what ``parser.parse_client`` makes of a browser's frame; the ``*View``
types are what the server's serializers put on the wire. Plain Python: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
RTC_SOURCES: tuple[str, ...] = ("mic", "camera", "screen", "camera-low", "screen-low")
RTC_SLOTS: tuple[str, ...] = ("audio", "camera", "screen")
MAX_MID_CHARS = 32


# -- client → server messages --------------------------------------------------------------


@dataclass(frozen=True)
class ClientMessage:
    """Base of every message a browser sends; ``ref`` is echoed in errors."""

    type: ClassVar[str] = ""
    ref: str = field(default="", kw_only=True)


@dataclass(frozen=True)
class PeerMessage(ClientMessage):
    """A host's action on one participant (``peer``) that carries nothing else."""

    peer: str


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
    """A chat line; ``jury``: to a lesson's jurors only (observers alone write there)."""

    type: ClassVar[str] = "chat.send"
    text: str
    jury: bool = False


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
class ModMute(PeerMessage):
    type: ClassVar[str] = "mod.mute"


@dataclass(frozen=True)
class ModMuteAll(ClientMessage):
    type: ClassVar[str] = "mod.mute_all"


@dataclass(frozen=True)
class ModStopVideo(PeerMessage):
    type: ClassVar[str] = "mod.stop_video"


@dataclass(frozen=True)
class ModRemove(PeerMessage):
    type: ClassVar[str] = "mod.remove"


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
class ModAdmit(PeerMessage):
    type: ClassVar[str] = "mod.admit"


@dataclass(frozen=True)
class ModDeny(PeerMessage):
    type: ClassVar[str] = "mod.deny"


@dataclass(frozen=True)
class ModEnd(ClientMessage):
    type: ClassVar[str] = "mod.end"


@dataclass(frozen=True)
class MediaState(ClientMessage):
    """What this browser sends now (for the participant list; the worker is not told);
    ``listen``: it listens only (no microphone or camera, no camera video received)."""

    type: ClassVar[str] = "media.state"
    audio: bool
    video: bool
    screen: bool = False
    listen: bool = False


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
    link: str = ""  # "" | good | fair | poor: the media worker's measure of their link
    listen: bool = False  # listening only: no microphone or camera (issue 13)


@dataclass(frozen=True)
class ChatView:
    id: int
    peer: str
    name: str
    text: str
    at: str
    ref: str = ""
    jury: bool = False  # the jury's own chat: only observers receive it


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


# What a silent observer (a juror watching a lesson) may send once joined: its own media
# connection, receive-only, its media state (kept at nothing sent) and chat lines to the
# jury (``observer_may_send``). Ping and hello come before any of this.
OBSERVER_FRAMES: frozenset[type[ClientMessage]] = frozenset({MediaState, RtcSignal, ChatSend})


def observer_may_send(message: ClientMessage) -> bool:
    """Whether a silent observer may send ``message`` (the jury's chat, not the room's)."""
    if isinstance(message, ChatSend):
        return message.jury
    return type(message) in OBSERVER_FRAMES
