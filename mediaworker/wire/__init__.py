"""The messages between the web process's room consumer and the media worker.

Plain Python on purpose (no aiortc, no Django): the consumer imports only this module
from ``mediaworker``. Both sides talk over the Channels layer:

* The consumer sends to the control channel of the room's worker: the shared
  ``MEDIA_WORKER_CHANNEL`` for the worker inside the web process, ``worker_channel(id)``
  for a standalone worker, which placement names (realtime/media_routes.py).
* The worker answers to the consumer's own ``channel_name`` (``reply`` in the message),
  so the consumer's handlers are ``media_signal`` and ``media_event``.

The browser's WebRTC messages (``rtc.*`` in docs/protocol.md) are validated by the
consumer and relayed inside ``signal`` untouched; the worker's answers come back the same
way. The negotiation model (below) belongs to the worker and the browser client's media
module (static/js/room/media.js); the consumer never reads SDP.

Negotiation model (docs/media.md has the full description and examples)
-----------------------------------------------------------------------
* One ``RTCPeerConnection`` per participant, between the browser and the worker.
* **The browser is always the offerer; the worker only answers.** No glare, no
  rollback. The browser's offer has a fixed set of m-lines:

  - its *publish* m-lines (``sendonly``): microphone, camera and screen, described
    by ``tracks`` in the offer (``[{"mid", "kind", "source", "active"}]``) - the
    transceivers exist from the start with no track, so turning the camera on or
    starting a screen share is ``replaceTrack`` + an ``rtc.tracks`` message, never a
    renegotiation;
  - its *slots* (``recvonly``): every other m-line. The worker answers them
    ``sendonly`` and decides which publisher's track each slot carries (last-N
    video, top-N audio, screen shares); it tells the browser with ``rtc.tracks``
    whenever the mapping changes. A slot keeps one SSRC for its whole life: the
    worker rewrites the forwarded RTP headers and switches sources on keyframes.

* ICE: the worker's candidates are in its answer (it does not trickle); the browser
  trickles with ``rtc.ice``. An offer whose ICE username fragment differs from the
  current connection's (an ICE restart, a reload, a rejoin after a network drop)
  replaces the participant's peer connection; the room state is kept.

browser -> worker (``media.signal``): ``rtc.offer``, ``rtc.ice``, ``rtc.tracks``
(publish state: ``[{"mid", "source", "active"}]``), ``rtc.subscribe`` (``peers``: the
participants whose video the browser prefers, best first, for last-N).

worker -> browser (``media.signal``): ``rtc.answer``, ``rtc.tracks`` (the slots:
``[{"mid", "kind", "slot", "peer", "name", "source"}]``, ``peer`` null when empty),
``rtc.speaker`` (``peer``: the dominant speaker or null), ``rtc.muted`` (``source``:
a host stopped this participant's microphone or camera), ``rtc.error`` (``message``).

worker -> consumer (``media.event``, about the participant the consumer serves):
``{"kind": "published", "sources": [...]}`` and ``{"kind": "connection", "state": ...}``.

Public viewers of a broadcast (docs/media.md, "Watching a broadcast over WebRTC"): the
watch socket (broadcasts/consumers.py) relays a viewer's ``rtc.offer`` and
``rtc.ice`` with ``viewer: true``. A viewer publishes nothing: its offer has one
``recvonly`` video m-line, the *program* (what the recording shows: the shared screen,
else the active speaker), and up to ``MAX_VIEWER_AUDIO`` ``recvonly`` audio m-lines (the
presenters who spoke last; the browser mixes them). The worker admits viewers only
while the room broadcasts and up to its ``MEET_MEDIA_MAX_VIEWERS``; otherwise it
answers ``rtc.error`` with ``code`` ``not_live`` or ``full``, and the page plays HLS.
When the broadcast stops the worker sends the viewers ``rtc.ended``.

Recording (docs/media.md, "Recording and HLS"): the web side sends
``to_worker_recording(...)`` (``start``, ``stop``, ``chapter``) for a room; the worker
tells every member ``{"kind": "recording", "state": "on" | "off", "recording": <id>,
"broadcast": bool}`` in a ``media.event`` when a recording starts or stops.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# The channel the worker inside the web process reads (the embedded default, or
# MEET_MEDIA_WORKER=inprocess on Redis). Standalone workers each read their own channel,
# worker_channel(id), and register it in placement (docs/media.md, "Several workers").
MEDIA_WORKER_CHANNEL = "media-worker"


def worker_channel(worker_id: str) -> str:
    """The channel a standalone worker called ``worker_id`` reads."""
    return f"{MEDIA_WORKER_CHANNEL}.{worker_id}"


# Sizes the consumer enforces before relaying (an SDP with a few dozen m-lines is ~20 KB).
MAX_SDP_BYTES = 64_000
MAX_CANDIDATE_BYTES = 1_000

ControlAction = Literal[
    "leave", "close_room", "mute_audio", "stop_video", "presenter_on", "presenter_off"
]
# A member's role in the room, from the consumer's verified join token (never from the
# browser): only hosts and presenters feed a broadcast or a recording; an observer (a
# competition's juror watching a lesson) receives and publishes nothing at all.
Role = Literal["host", "presenter", "participant", "guest", "observer"]
ROLES: frozenset[str] = frozenset({"host", "presenter", "participant", "guest", "observer"})
FEEDING_ROLES: frozenset[str] = frozenset({"host", "presenter"})
SILENT_ROLES: frozenset[str] = frozenset({"observer"})
RecordingAction = Literal["start", "stop", "chapter"]
RECORDING_ACTIONS: frozenset[str] = frozenset({"start", "stop", "chapter"})

RtcType = Literal[
    "rtc.offer",
    "rtc.answer",
    "rtc.ice",
    "rtc.tracks",
    "rtc.error",
    "rtc.subscribe",
    "rtc.speaker",
    "rtc.muted",
    "rtc.ended",
    "rtc.layers",
    "rtc.bandwidth",
]

# What a browser may send (the consumer validates against this) and what the worker
# sends back (the consumer relays those to the browser untouched).
BROWSER_RTC_TYPES: frozenset[str] = frozenset(
    {"rtc.offer", "rtc.ice", "rtc.tracks", "rtc.subscribe"}
)
WORKER_RTC_TYPES: frozenset[str] = frozenset(
    {
        "rtc.answer",
        "rtc.tracks",
        "rtc.speaker",
        "rtc.muted",
        "rtc.error",
        "rtc.ended",
        "rtc.layers",
        "rtc.bandwidth",
    }
)
# What a public viewer may send (the watch socket validates against this).
VIEWER_RTC_TYPES: frozenset[str] = frozenset({"rtc.offer", "rtc.ice"})

# Published sources: one m-line each in the browser's offer. "camera-low" and
# "screen-low" are the low layers of the camera and the screen share: the same track
# encoded a second time, small (docs/media.md "Layers"); the worker forwards a
# subscriber whichever layer fits its link and tile.
SOURCES: tuple[str, ...] = ("mic", "camera", "screen", "camera-low", "screen-low")
# Each low layer and the source it is a layer of.
LOW_LAYERS: dict[str, str] = {"camera-low": "camera", "screen-low": "screen"}
# What the worker's rtc.bandwidth says of its adaptation to a subscriber's link: all
# wanted layers fit; some videos at their low layer; only the most important video
# (the speaker or the screen); audio only.
BANDWIDTH_STATES: tuple[str, ...] = ("ok", "reduced", "speaker", "audio")
# Slot kinds in ``rtc.tracks`` from the worker.
SLOTS: tuple[str, ...] = ("audio", "camera", "screen")
# A viewer's slots: the program (one video m-line) and the presenters' microphones.
VIEWER_SLOTS: tuple[str, ...] = ("program", "audio")
MAX_VIEWER_AUDIO = 3
# Why the worker refuses a viewer (``code`` of its rtc.error): the page then plays HLS.
VIEWER_REFUSALS: dict[str, str] = {
    "not_live": "the room is not broadcasting",
    "full": "no WebRTC seat left on this media worker",
    "not_connected": "the media connection did not come up in time",
}
# Every ``code`` of the worker's rtc.error, with its fixed message (English, for logs
# and developers: the page words it for people). The worker never sends exception
# text: the detail stays in its log.
MEDIA_ERRORS: dict[str, str] = {
    **VIEWER_REFUSALS,
    "bad_offer": "the offer is not a valid WebRTC offer",
    "viewer_offer": "a viewer's offer may only receive: one video and at most 3 audio m-lines",
    "offer_failed": "the media worker could not accept the offer",
    "unknown_type": "this message type is not understood by the media worker",
}
# Bounds the consumer may enforce on the lists inside rtc.* messages.
MAX_TRACKS = 64
MAX_SUBSCRIBE_PEERS = 64


class Signal(TypedDict):
    """One WebRTC message as the browser sends or receives it (docs/protocol.md)."""

    type: RtcType
    sdp: NotRequired[str]
    candidate: NotRequired[dict[str, Any] | None]
    tracks: NotRequired[list[dict[str, Any]]]
    message: NotRequired[str]
    code: NotRequired[str]  # rtc.error: a key of MEDIA_ERRORS
    peers: NotRequired[list[str]]  # rtc.subscribe
    peer: NotRequired[str | None]  # rtc.speaker
    source: NotRequired[str]  # rtc.muted


class ToWorkerSignal(TypedDict):
    """consumer → worker: a browser's WebRTC message for its peer connection."""

    type: Literal["media.signal"]
    room: str  # room slug
    peer: str  # the participant's id in the room (one per WebSocket connection)
    reply: str  # the consumer's channel name
    name: str  # display name, for logs and the recording's chapters
    signal: Signal
    viewer: NotRequired[bool]  # a public viewer of the broadcast (the watch socket)
    role: NotRequired[str]  # a Role, from the verified join token; absent: "guest"


class ToWorkerControl(TypedDict):
    """consumer → worker: a change that is not WebRTC negotiation."""

    type: Literal["media.control"]
    room: str
    peer: str
    reply: str
    # leave: the participant left or was removed; close_room: the meeting ended;
    # mute_audio / stop_video: a host's moderation of ``target``'s published tracks;
    # presenter_on / presenter_off: a host made ``target`` the presenter or took it back.
    action: ControlAction
    target: NotRequired[str]


class ToWorkerRecording(TypedDict):
    """web → worker: start, stop or mark a chapter of a room's recording."""

    type: Literal["media.recording"]
    room: str  # room slug
    action: RecordingAction
    recording: str  # the recording's id: a uuid4 in 32 hex digits
    # Ignored by the worker (it derives ``<its recordings root>/<recording>`` itself) but
    # for a check: a different path is refused.
    directory: str
    broadcast: bool  # the live HLS playlist is for the public
    title: str  # chapter: its title
    text: str  # chapter: the slide's text, for the archive's search


class FromWorkerSignal(TypedDict):
    """worker → consumer: a WebRTC message to pass to the browser as it is."""

    type: Literal["media.signal"]
    peer: str
    signal: Signal


class FromWorkerEvent(TypedDict):
    """worker → consumer: something the room should know (a track came or went)."""

    type: Literal["media.event"]
    peer: str
    event: dict[str, Any]


def to_worker_signal(
    *,
    room: str,
    peer: str,
    reply: str,
    name: str,
    signal: Signal,
    viewer: bool = False,
    role: str | None = None,
) -> ToWorkerSignal:
    """Wrap a browser's validated WebRTC message for the worker."""
    message: ToWorkerSignal = {
        "type": "media.signal",
        "room": room,
        "peer": peer,
        "reply": reply,
        "name": name,
        "signal": signal,
    }
    if viewer:
        message["viewer"] = True
    if role is not None:
        message["role"] = role
    return message


def to_worker_control(
    *,
    room: str,
    peer: str,
    reply: str,
    action: ControlAction,
    target: str = "",
) -> ToWorkerControl:
    """Wrap a control action for the worker."""
    message: ToWorkerControl = {
        "type": "media.control",
        "room": room,
        "peer": peer,
        "reply": reply,
        "action": action,
    }
    if target:
        message["target"] = target
    return message


def to_worker_recording(
    *,
    room: str,
    action: RecordingAction,
    recording: str,
    directory: str,
    broadcast: bool = False,
    title: str = "",
    text: str = "",
) -> ToWorkerRecording:
    """A recording command for the worker (send it to ``MEDIA_WORKER_CHANNEL``)."""
    return {
        "type": "media.recording",
        "room": room,
        "action": action,
        "recording": recording,
        "directory": directory,
        "broadcast": broadcast,
        "title": title,
        "text": text,
    }


# worker → web: the worker's news about recordings, on a channel any web process reads
# (each message reaches one reader). The archive entry is made as soon as it arrives; the
# minute sweep of unfinished recordings stays only to recover from a crash.
RECORDINGS_CHANNEL = "meet-recordings"
FinishedState = Literal["ready", "failed"]
FINISHED_STATES: frozenset[str] = frozenset({"ready", "failed"})


class RecordingFinished(TypedDict):
    """worker → web: a recording's files are final (``ready``) or will never be (``failed``)."""

    type: Literal["recording.finished"]
    recording: str  # the recording's id (its folder's name)
    state: FinishedState


def recording_finished(*, recording: str, state: FinishedState) -> RecordingFinished:
    """Tell the web side a recording is finished (send it to ``RECORDINGS_CHANNEL``)."""
    return {"type": "recording.finished", "recording": recording, "state": state}


def media_error(code: str) -> Signal:
    """worker → browser: ``rtc.error`` with a stable code and its fixed message."""
    return {"type": "rtc.error", "code": code, "message": MEDIA_ERRORS[code]}


def viewer_refused(*, peer: str, code: str) -> FromWorkerSignal:
    """worker → watch consumer: the viewer may not watch over WebRTC (``VIEWER_REFUSALS``)."""
    return {"type": "media.signal", "peer": peer, "signal": media_error(code)}


# TURN credentials (coturn REST): coturn checks them only when an allocation is made,
# never while it lives (coturn issues #774, #1204), so they need to last only as long as
# the browser may still start a connection with them. A viewer's page connects within
# seconds of its hello and reconnects with a new socket (new credentials): ten minutes
# is plenty, and a leaked one is soon worthless. A participant's are reused for every
# ICE restart during the meeting: they last a long lesson or briefing, not a day.
TURN_VIEWER_TTL_SECS = 600
TURN_TTL_SECS = 6 * 3600


def browser_ice_servers(
    user: str, *, now: float | None = None, viewer: bool = False
) -> list[dict[str, Any]]:
    """The ``iceServers`` a browser's RTCPeerConnection needs (none by default).

    Read at call time from the environment: ``MEET_STUN_URLS`` and ``MEET_TURN_URLS``
    (comma-separated ``stun:``/``turn:`` URLs) and ``MEET_TURN_SECRET`` (coturn's
    ``static-auth-secret``), which gives time-limited REST credentials: username
    ``<expiry>:<user>``, password base64(HMAC-SHA1(secret, username)). They are valid
    for ``MEET_TURN_VIEWER_TTL_SECS`` (default 600) for a public viewer (``viewer``),
    ``MEET_TURN_TTL_SECS`` (default 6 h) for a participant.
    """
    import base64
    import hashlib
    import hmac
    import os
    import time

    def urls(name: str) -> list[str]:
        return [u.strip() for u in os.environ.get(name, "").split(",") if u.strip()]

    servers: list[dict[str, Any]] = []
    if stun := urls("MEET_STUN_URLS"):
        servers.append({"urls": stun})
    secret = os.environ.get("MEET_TURN_SECRET", "")
    if (turn := urls("MEET_TURN_URLS")) and secret:
        if viewer:
            ttl_secs = int(os.environ.get("MEET_TURN_VIEWER_TTL_SECS", str(TURN_VIEWER_TTL_SECS)))
        else:
            ttl_secs = int(os.environ.get("MEET_TURN_TTL_SECS", str(TURN_TTL_SECS)))
        expiry = int(time.time() if now is None else now) + ttl_secs
        username = f"{expiry}:{user}"
        digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
        credential = base64.b64encode(digest).decode()
        servers.append({"urls": turn, "username": username, "credential": credential})
    return servers
