"""A joined participant's actions: each frame type's handler calls one service.

Handlers are thin: the frame is parsed and rate-limited already (room.RoomConsumer), a
service does the work through ``database_sync_to_async`` and announces it after the
commit (signaling.events); what concerns media goes to the worker as well.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mediaworker import wire
from signaling import selectors
from signaling.consumers.base import RoomSocket, db
from signaling.domain import protocol as p
from signaling.errors import SignalingError
from signaling.models import LiveRole
from signaling.services import chat, limits, meetings, moderation, polls, slides

POLL_RESULTS_INTERVAL_SECS = 0.25

_poll_flushes: dict[int, asyncio.Task[None]] = {}

logger = logging.getLogger(__name__)


class Actions(RoomSocket):
    """The consumer's part that handles a joined participant's frames."""

    def _handlers(self) -> dict[type, Callable[[Any], Awaitable[None]]]:
        return {
            p.ChatSend: self._chat,
            p.HandRaise: self._hand_raise,
            p.HandLower: self._hand_lower,
            p.PollCreate: self._poll_create,
            p.PollVote: self._poll_vote,
            p.PollClose: self._poll_close,
            p.SlidesShow: self._slides_show,
            p.SlidesStop: self._slides_stop,
            p.ModMute: self._mute,
            p.ModMuteAll: self._mute_all,
            p.ModStopVideo: self._stop_video,
            p.ModRemove: self._remove,
            p.ModPresenter: self._presenter,
            p.ModLock: self._lock,
            p.ModLobby: self._lobby,
            p.ModAdmit: self._admit,
            p.ModDeny: self._deny,
            p.ModEnd: self._end,
            p.MediaState: self._media_reported,
            p.RtcSignal: self._rtc,
        }

    async def _chat(self, message: p.ChatSend) -> None:
        # Per person across their connections and per address, besides this socket's bucket.
        await limits.alimit("chat", address=self.address, person=self.identity)
        await db(chat.chat_post)(
            actor_peer=self.peer, text=message.text, ref=message.ref, jury=message.jury
        )

    async def _hand_raise(self, message: p.HandRaise) -> None:
        await db(moderation.hand_raise)(actor_peer=self.peer)

    async def _hand_lower(self, message: p.HandLower) -> None:
        await db(moderation.hand_lower)(actor_peer=self.peer, peer=message.peer)

    async def _poll_create(self, message: p.PollCreate) -> None:
        await db(polls.poll_create)(
            actor_peer=self.peer,
            question=message.question,
            options=message.options,
            multiple=message.multiple,
        )

    async def _poll_vote(self, message: p.PollVote) -> None:
        slug = await db(polls.poll_vote)(
            actor_peer=self.peer, poll_id=message.poll, choices=message.choices
        )
        ack = p.event("poll.voted", poll=message.poll, choices=list(message.choices))
        await self._send({**ack, **({"ref": message.ref} if message.ref else {})})
        _schedule_results(slug, message.poll)

    async def _poll_close(self, message: p.PollClose) -> None:
        await db(polls.poll_close)(actor_peer=self.peer, poll_id=message.poll)

    async def _slides_show(self, message: p.SlidesShow) -> None:
        title, text = await db(slides.slides_show)(
            actor_peer=self.peer, deck_id=message.deck, page=message.page
        )
        # A chapter of the room's recording, if one is being made (the worker knows).
        await self._to_worker(
            wire.to_worker_recording(
                room=self.slug, action="chapter", recording="", directory="", title=title, text=text
            )
        )

    async def _slides_stop(self, message: p.SlidesStop) -> None:
        await db(slides.slides_stop)(actor_peer=self.peer)

    async def _mute(self, message: p.ModMute) -> None:
        peer = await db(moderation.participant_mute)(actor_peer=self.peer, peer=message.peer)
        await self._to_worker_control("mute_audio", target=peer)

    async def _mute_all(self, message: p.ModMuteAll) -> None:
        for peer in await db(moderation.participants_mute_all)(actor_peer=self.peer):
            await self._to_worker_control("mute_audio", target=peer)

    async def _stop_video(self, message: p.ModStopVideo) -> None:
        peer = await db(moderation.participant_mute)(
            actor_peer=self.peer, peer=message.peer, source="camera"
        )
        await self._to_worker_control("stop_video", target=peer)

    async def _remove(self, message: p.ModRemove) -> None:
        peer = await db(moderation.participant_remove)(actor_peer=self.peer, peer=message.peer)
        await self._to_worker_control("leave", peer=peer)

    async def _presenter(self, message: p.ModPresenter) -> None:
        await db(moderation.participant_presenter)(
            actor_peer=self.peer, peer=message.peer, on=message.on
        )
        # Hosts and presenters alone feed the recording and the broadcast (the worker).
        await self._to_worker_control(
            "presenter_on" if message.on else "presenter_off", target=message.peer
        )

    async def _lock(self, message: p.ModLock) -> None:
        await db(meetings.meeting_lock)(actor_peer=self.peer, locked=message.locked)

    async def _lobby(self, message: p.ModLobby) -> None:
        await db(meetings.meeting_lobby)(actor_peer=self.peer, enabled=message.enabled)

    async def _admit(self, message: p.ModAdmit) -> None:
        await db(meetings.lobby_admit)(actor_peer=self.peer, peer=message.peer)

    async def _deny(self, message: p.ModDeny) -> None:
        await db(meetings.lobby_deny)(actor_peer=self.peer, peer=message.peer)

    async def _end(self, message: p.ModEnd) -> None:
        await db(meetings.meeting_end)(actor_peer=self.peer)
        await self._to_worker_control("close_room")

    async def _rtc(self, message: p.RtcSignal) -> None:
        signal: Any = message.signal
        # No worker holds this member yet: its first offer, or one after its room's
        # worker died (``media.moved``). The new worker knows hosts from the role, but
        # presenters only from a host's ``presenter_on``, which the dead one took along.
        placing = self.media_route is None
        try:
            await self._send_to_worker(
                wire.to_worker_signal(
                    room=self.slug,
                    peer=self.peer,
                    reply=self.channel_name,
                    name=self.name,
                    signal=signal,
                    role=str(self.role),  # from the verified join token
                ),
            )
        except Exception:
            logger.warning("live room %s: the media worker cannot be reached", self.slug)
            raise SignalingError("media_unavailable") from None
        if placing and self.role != LiveRole.HOST and await db(selectors.is_presenter)(self.peer):
            await self._to_worker_control("presenter_on", target=self.peer)

    async def _media_reported(self, message: p.MediaState) -> None:
        await self._media_state((message.audio, message.video, message.screen, message.listen))

    async def _media_state(self, state: tuple[bool, bool, bool, bool]) -> None:
        if self.role == LiveRole.OBSERVER:  # publishes nothing, whatever the page says
            state = (False, False, False, state[3])
        if state == self.media_sources:
            return
        self.media_sources = state
        audio, video, screen, listen = state
        await db(moderation.participant_media)(
            peer=self.peer, audio=audio, video=video, screen=screen, listen=listen
        )


def _schedule_results(slug: str, poll_id: int) -> None:
    """Announce a poll's results at most a few times a second, however fast votes come."""
    if poll_id in _poll_flushes:
        return

    async def flush() -> None:
        try:
            await asyncio.sleep(POLL_RESULTS_INTERVAL_SECS)
            _poll_flushes.pop(poll_id, None)
            await db(polls.poll_results_announce)(slug=slug, poll_id=poll_id)
        except Exception:
            logger.exception("poll %s: results not announced", poll_id)
        finally:
            _poll_flushes.pop(poll_id, None)

    _poll_flushes[poll_id] = asyncio.ensure_future(flush())
