"""What reaches a live-room connection from outside its browser.

``room_control``: a service's word about this connection (signaling.events.notify_peer);
``media_signal`` / ``media_event``: the media worker's answers and news (mediaworker.wire).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.utils import translation

from mediaworker import wire
from realtime.errors import CLOSE_ENDED, CLOSE_REFUSED, CLOSE_REPLACED
from signaling.consumers.base import RoomSocket, db
from signaling.domain import link_quality
from signaling.domain import protocol as p
from signaling.errors import SignalingError, error_text
from signaling.models import LiveRole
from signaling.services import moderation

logger = logging.getLogger(__name__)

LINK_ANNOUNCE_SECS = 5.0  # at most one announcement of a member's link level this often


class Control(RoomSocket):
    """The consumer's part that acts on services' and the media worker's messages."""

    # The room's view of this member's link (media.event quality), announced sparingly.
    _link_wanted = ""
    _link_announced_at = float("-inf")
    _link_timer: asyncio.TimerHandle | None = None
    _link_task: asyncio.Future[None] | None = None

    async def room_control(self, message: dict[str, Any]) -> None:
        """A service's word about this connection (admitted, muted, removed, ended...)."""
        action = message.get("action")
        by = message.get("by", "")
        if action == "admitted":
            await self._admitted()
        elif action == "muted":
            await self._send(p.event("you.muted", source=message.get("source", "mic"), by=by))
        elif action == "denied":
            await self._refuse("denied", CLOSE_REFUSED)
        elif action == "removed":
            await self._send(p.event("removed", by=by))
            await self._refuse("removed", CLOSE_REFUSED)
        elif action == "ended":
            await self._send(p.event("meeting.ended", by=by))
            await self._close(CLOSE_ENDED)
        elif action == "replaced":
            await self._refuse("replaced", CLOSE_REPLACED)
        elif action == "forward" and self.state == "joined":  # the jury's chat, say
            await self._send(message.get("event") or {})

    async def media_signal(self, message: dict[str, Any]) -> None:
        """The worker's WebRTC message for this browser, passed on as it is."""
        if message.get("peer") == self.peer and self.state == "joined":
            signal = message.get("signal")
            if isinstance(signal, dict) and signal.get("type") == "rtc.error":
                await self._send(self._media_error(signal))
            elif isinstance(signal, dict) and signal.get("type") in wire.WORKER_RTC_TYPES:
                await self._send(signal)

    def _media_error(self, signal: dict[str, Any]) -> dict[str, Any]:
        """The worker's error as a stable code and a sentence: its own words (which may
        hold exception text) stay in the server's log."""
        logger.warning(
            "live room %s: media error for %s: %.300s", self.slug, self.peer, signal.get("message")
        )
        with translation.override(self.language):
            text = error_text("media_failed")
        return {"type": "rtc.error", "code": "media_failed", "message": text}

    async def media_event(self, message: dict[str, Any]) -> None:
        """The worker's news about this participant's media."""
        if message.get("peer") != self.peer or self.state != "joined":
            return
        news = message.get("event") or {}
        kind = news.get("kind")
        if kind == "connection":
            await self._send(p.event("media.connection", state=str(news.get("state", ""))[:20]))
        elif kind == "quality":
            await self._link_quality(news)
        elif kind == "recording":
            shown: dict[str, Any] = {
                "state": "on" if news.get("state") == "on" else "off",
                "broadcast": bool(news.get("broadcast")),
            }
            if self.role == LiveRole.HOST:  # hosts stop it, by its id
                shown["recording"] = str(news.get("recording", ""))[:32]
            await self._send(p.event("media.recording", **shown))
        # "published" is not used: the browser's own media.state says what it sends, so
        # the participant list does not flap while the worker negotiates.

    async def _link_quality(self, news: dict[str, Any]) -> None:
        """The worker measured this member's link: the person's own page gets the figures
        at once, the room the level (tile marks, hosts' weak links) at most every
        ``LINK_ANNOUNCE_SECS``, the latest level winning."""
        level = link_quality.level_of(news)
        if level is None:
            return
        await self._send(p.event("media.quality", level=level, **link_quality.figures_of(news)))
        # A bad link flaps between levels about once a second (10 % loss, 300 ms); each
        # announcement is a write and a message to every member of the room.
        self._link_wanted = level
        if self._link_timer is not None:
            return  # an announcement is due and will take the newest level
        loop = asyncio.get_running_loop()
        wait = self._link_announced_at + LINK_ANNOUNCE_SECS - loop.time()
        if wait <= 0:
            await self._announce_link()
        else:
            self._link_timer = loop.call_later(wait, self._link_due)

    def _link_due(self) -> None:
        self._link_timer = None
        if self.state == "joined":  # the task is kept: the loop holds tasks only weakly
            self._link_task = asyncio.ensure_future(self._announce_link())

    async def _announce_link(self) -> None:
        self._link_announced_at = asyncio.get_running_loop().time()
        try:
            await db(moderation.participant_link)(peer=self.peer, level=self._link_wanted)
        except SignalingError:
            pass  # left or the meeting ended meanwhile: nobody to show it to
        except Exception:
            logger.exception("live room %s: link of %s not kept", self.slug, self.peer)
