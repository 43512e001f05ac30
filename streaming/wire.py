"""The messages between the web process's room consumer and the media worker.

Plain Python on purpose (no aiortc, no Django): the consumer imports only this module
from ``streaming``. Both sides talk over the Channels layer:

* The consumer sends to the worker's control channel, ``MEDIA_WORKER_CHANNEL``, with
  ``channel_layer.send(MEDIA_WORKER_CHANNEL, message)``.
* The worker answers to the consumer's own ``channel_name`` (``reply`` in the message),
  so the consumer's handlers are ``media_signal`` and ``media_event``.

The browser's WebRTC messages (``rtc.*`` in docs/protocol.md) are validated by the
consumer and relayed inside ``signal`` untouched; the worker's answers come back the same
way. The negotiation model (one RTCPeerConnection per participant, who publishes its
tracks and receives everyone else's, with renegotiation from either side) belongs to
the worker and the browser client's media module; the consumer never reads SDP.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# The channel the media worker reads. One worker process serves one set of rooms; with
# several workers, rooms are placed through Redis and this becomes "media-worker.<id>".
MEDIA_WORKER_CHANNEL = "media-worker"

# Sizes the consumer enforces before relaying (an SDP with a few dozen m-lines is ~20 KB).
MAX_SDP_BYTES = 64_000
MAX_CANDIDATE_BYTES = 1_000

RtcType = Literal["rtc.offer", "rtc.answer", "rtc.ice", "rtc.tracks", "rtc.error"]


class Signal(TypedDict):
    """One WebRTC message as the browser sends or receives it (docs/protocol.md)."""

    type: RtcType
    sdp: NotRequired[str]
    candidate: NotRequired[dict[str, Any] | None]
    tracks: NotRequired[list[dict[str, Any]]]
    message: NotRequired[str]


class ToWorkerSignal(TypedDict):
    """consumer → worker: a browser's WebRTC message for its peer connection."""

    type: Literal["media.signal"]
    room: str  # room slug
    peer: str  # the participant's id in the room (one per WebSocket connection)
    reply: str  # the consumer's channel name
    name: str  # display name, for logs and the recording's chapters
    signal: Signal


class ToWorkerControl(TypedDict):
    """consumer → worker: a change that is not WebRTC negotiation."""

    type: Literal["media.control"]
    room: str
    peer: str
    reply: str
    # leave: the participant left or was removed; close_room: the meeting ended;
    # mute_audio / stop_video: a host's moderation of ``target``'s published tracks.
    action: Literal["leave", "close_room", "mute_audio", "stop_video"]
    target: NotRequired[str]


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
    *, room: str, peer: str, reply: str, name: str, signal: Signal
) -> ToWorkerSignal:
    """Wrap a browser's validated WebRTC message for the worker."""
    return {
        "type": "media.signal",
        "room": room,
        "peer": peer,
        "reply": reply,
        "name": name,
        "signal": signal,
    }


def to_worker_control(
    *,
    room: str,
    peer: str,
    reply: str,
    action: Literal["leave", "close_room", "mute_audio", "stop_video"],
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
