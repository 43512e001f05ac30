"""The public viewers of one room's broadcast, as its router keeps them.

While the room's recording is a broadcast, public viewers (``SignalIn.viewer``, from the
watch socket) may join, up to the worker's seats (mediaworker/seats.py): receive-only
members kept apart from the participants, whose one video slot carries the program and
whose audio slots the presenters who spoke last (the router fills them). They hear no
room events; when the broadcast stops they get ``rtc.ended`` and are let go.
"""

from __future__ import annotations

from collections.abc import Callable

from mediaworker.actions import SignalIn
from mediaworker.members import Member, Send, to_browser
from mediaworker.seats import ViewerSeats
from mediaworker.wire import media_error, viewer_refused


class Viewers:
    """A room's viewers by peer id, admitted only while it broadcasts and a seat is free."""

    def __init__(self, *, seats: ViewerSeats, send: Send) -> None:
        self.by_peer: dict[str, Member] = {}
        self.seats = seats  # the worker's, shared by its rooms
        self._send = send

    def signal(
        self,
        action: SignalIn,
        *,
        broadcasting: bool,
        participant: bool,
        join: Callable[[SignalIn], Member],
    ) -> None:
        """A viewer's ``rtc.offer`` or ``rtc.ice``; ``join`` makes a new viewer's session.

        ``participant``: the peer id is a participant's of this room.
        """
        kind = action.signal.get("type")
        viewer = self.by_peer.get(action.peer)
        if viewer is None:
            if kind != "rtc.offer" or participant:
                return  # a late candidate of a viewer let go; never a participant's id
            refusal = self.refusal(broadcasting=broadcasting)
            if refusal is not None:
                self._send(action.reply, dict(viewer_refused(peer=action.peer, code=refusal)))
                return
            viewer = join(action)
            self.by_peer[action.peer] = viewer
        viewer.reply = action.reply
        if kind in ("rtc.offer", "rtc.ice"):
            viewer.session.post(action.signal)
        else:
            to_browser(self._send, viewer, dict(media_error("unknown_type")))

    def refusal(self, *, broadcasting: bool) -> str | None:
        """Why a new viewer cannot watch over WebRTC now (it then plays HLS), or None.

        The seat itself is taken by the viewer's session once its offer is parsed and
        accepted: garbage never holds one.
        """
        if not broadcasting:
            return "not_live"
        if self.seats.full:
            return "full"
        return None

    def failed(self, viewer: Member, code: str) -> None:
        """A viewer's offer failed or its connection did not come up: let it go."""
        if self.by_peer.get(viewer.peer) is not viewer:
            return
        del self.by_peer[viewer.peer]
        if code == "not_connected":  # the session said nothing yet: the page plays HLS
            to_browser(self._send, viewer, dict(media_error(code)))
        _let_go(viewer)

    def leave(self, peer: str) -> bool:
        """Let the viewer ``peer`` go; False if it is no viewer here."""
        viewer = self.by_peer.pop(peer, None)
        if viewer is None:
            return False
        _let_go(viewer)
        return True

    def end(self) -> None:
        """The broadcast stopped: tell every viewer and let them go."""
        viewers, self.by_peer = list(self.by_peer.values()), {}
        for viewer in viewers:
            to_browser(self._send, viewer, {"type": "rtc.ended"})
            _let_go(viewer)


def _let_go(viewer: Member) -> None:
    viewer.session.close()  # gives its seat back, if it holds one
