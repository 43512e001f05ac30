"""The live room's WebSocket consumer: one per browser connection (docs/protocol.md).

It validates every frame (signaling.domain.protocol), rate-limits it, calls one service
through ``database_sync_to_async`` and answers; joins and leaves that queue up go to the
database together (signaling/batch.py). Room events do not pass through here:
services announce them with ``notify_room`` and this process's fan-out hub
(signaling.bus) writes them straight to the member sockets, so a chat line into a room of
1,000 wakes no consumer at all. ``dispatch`` skips Channels' per-message thread hop
(``aclose_old_connections``): handlers reach the database only through
``database_sync_to_async``, which closes stale connections itself.

The consumer never holds a peer connection: ``rtc.*`` frames go to the media worker
(mediaworker.wire) and its answers come back to ``media_signal`` / ``media_event``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import translation

from mediaworker import wire
from signaling import conf, presence, selectors
from signaling.batch import Batched
from signaling.bus import Subscriber, get_bus
from signaling.domain import protocol as p
from signaling.domain.ratelimit import RateLimiter
from signaling.errors import JoinRefused, SignalingError, error_text, protocol_error_text
from signaling.models import LiveRole
from signaling.services import chat, joins, limits, meetings, moderation, polls, slides
from signaling.services.tokens import UNCHECKED, JoinClaims, join_token_read

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_SECS = 15.0
MAX_STRIKES = 50
POLL_RESULTS_INTERVAL_SECS = 0.25

# WebSocket close codes (docs/protocol.md).
CLOSE_PROTOCOL = 4400
CLOSE_TOKEN = 4401
CLOSE_REFUSED = 4403
CLOSE_NO_ROOM = 4404
CLOSE_TIMEOUT = 4408
CLOSE_REPLACED = 4409
CLOSE_ENDED = 4410
CLOSE_TOO_FAST = 4429
CLOSE_SERVER_ERROR = 1011

_CLOSE_FOR = {
    "token_invalid": CLOSE_TOKEN,
    "token_expired": CLOSE_TOKEN,
    "token_used": CLOSE_TOKEN,
    "slow_down": CLOSE_TOO_FAST,
    "wrong_session": CLOSE_TOKEN,
    "no_room": CLOSE_NO_ROOM,
    "ended": CLOSE_ENDED,
}

RTC_LIMITS = p.RtcLimits(
    max_sdp_bytes=wire.MAX_SDP_BYTES,
    max_candidate_bytes=wire.MAX_CANDIDATE_BYTES,
    max_tracks=wire.MAX_TRACKS,
    max_subscribe_peers=wire.MAX_SUBSCRIBE_PEERS,
    sources=wire.SOURCES,
    slots=wire.SLOTS,
)

_poll_flushes: dict[int, asyncio.Task[None]] = {}

# Joins and leaves that queue up while the database thread is busy run together
# (signaling/batch.py): a storm of joins reads each room, meeting and schedule once per
# batch. A batch is bounded so that its one transaction stays short.
MAX_BATCH_CALLS = 50
_joins: Batched[joins.JoinRequest, joins.JoinOutcome] = Batched(
    lambda requests: joins.participants_join(requests=requests), max_items=MAX_BATCH_CALLS
)
_leaves: Batched[tuple[str, str], joins.Departure] = Batched(
    lambda leaves: joins.participants_leave(leaves=leaves), max_items=MAX_BATCH_CALLS
)


def _db(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    return database_sync_to_async(function)


def _fan_out_send(send: Callable[[dict[str, Any]], Awaitable[None]]) -> Any:
    """The ASGI ``send`` the fan-out hub writes frames with.

    Channels' session middleware wraps ``send`` only to save the session on HTTP
    responses; for ``websocket.send`` its wrapper does nothing but two lazy-object look-ups,
    a tenth of the cost of a delivery into a big room. The hub uses the send underneath.
    """
    wrapper = getattr(send, "__self__", None)
    real_send = getattr(wrapper, "real_send", None)
    return real_send if callable(real_send) else send


class RoomConsumer(AsyncJsonWebsocketConsumer):
    """One browser in one live room."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Route a message to its handler without Channels' per-message thread hop."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # -- connection ----------------------------------------------------------------------

    async def connect(self) -> None:
        """Accept, then wait for ``hello`` with the join token."""
        self.slug: str = self.scope["url_route"]["kwargs"]["slug"]
        self.state = "new"  # new → lobby → joined → closing
        self.peer = ""
        self.name = ""
        self.identity = ""
        self.role = ""
        self.member: Subscriber | None = None
        self.limiter = RateLimiter(rates=conf.rate_limits())
        self.media_sources: tuple[bool, bool, bool] | None = None
        client = self.scope.get("client") or ("", 0)
        self.address = str(client[0] or "unknown")  # as daphne saw it (meet/ vets proxies)
        cookies = self.scope.get("cookies") or {}
        chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        self.language = chosen if chosen in supported else settings.LANGUAGE_CODE
        await self.accept()
        # A timer, not a sleeping task: nearly every socket says hello in time, and creating
        # and cancelling a task per join cost 2% of daphne's CPU in a storm of joins.
        self.hello_timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            HELLO_TIMEOUT_SECS, self._hello_timeout
        )

    def _hello_timeout(self) -> None:
        if self.state == "new":  # the task is kept: the loop holds tasks only weakly
            self.timed_out = asyncio.ensure_future(self._refuse("hello_timeout", CLOSE_TIMEOUT))

    async def disconnect(self, code: int) -> None:
        """Leave the room: the hub, the database and the media worker."""
        self.state = "closing"
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        if self.member is not None:
            await get_bus().leave(self.slug, self.member)
            self.member = None
        if self.peer:
            presence.forget(self.peer)
            try:
                departure = await _leaves((self.peer, self.channel_name))
            except Exception:
                logger.exception("live room %s: leave of %s failed", self.slug, self.peer)
                return
            if departure.media:
                await self._to_worker_control("leave", peer=self.peer)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Like Channels' but without group bookkeeping (this consumer uses no groups)."""
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    # -- frames from the browser ---------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Validate, rate-limit and handle one frame; answer problems with ``error``."""
        if self.state == "closing":
            return
        try:
            message = p.parse_client(text_data, rtc=RTC_LIMITS)
        except p.ProtocolError as problem:
            if await self._strike():
                return  # closed: under daphne a send now raises and skips disconnect()
            await self._error(
                problem.code,
                protocol_error_text_in(self.language, problem),
                field=problem.field,
                for_type=problem.type,
                ref=problem.ref,
            )
            return
        kind = message.signal["type"] if isinstance(message, p.RtcSignal) else message.type
        if kind != "hello" and not self.limiter.allow(kind, time.monotonic()):
            if await self._strike():
                return
            await self._fail(SignalingError("rate_limited"), kind, message.ref)
            return
        await self._handle(message, kind)

    async def _strike(self) -> bool:
        """Count a refused frame; True when it was one too many and the socket is closed."""
        self.limiter.strikes += 1
        if self.limiter.strikes >= MAX_STRIKES:
            await self._refuse("rate_limited", CLOSE_TOO_FAST)
            return True
        return False

    async def _handle(self, message: p.ClientMessage, kind: str) -> None:
        if isinstance(message, p.Ping):
            await self._send({"type": "pong", **({"ref": message.ref} if message.ref else {})})
            return
        if isinstance(message, p.Hello):
            if self.state != "new":
                await self._fail(SignalingError("already_joined"), kind, message.ref)
                return
            try:
                await self._hello(message)
            except Exception:  # the detail goes to the log, a sentence to the browser
                logger.exception("live room %s: hello failed", self.slug)
                await self._refuse("server_error", CLOSE_SERVER_ERROR)
            return
        if self.state != "joined":
            code = "hello_first" if self.state == "new" else "not_joined"
            await self._fail(SignalingError(code), kind, message.ref)
            return
        handler = self._handlers().get(type(message))
        if handler is None:  # every parsed type has a handler; this guards future ones
            await self._fail(SignalingError("unknown_type", type=kind), kind, message.ref)
            return
        try:
            await handler(message)
        except SignalingError as refused:
            await self._fail(refused, kind, message.ref)
        except Exception:
            logger.exception("live room %s: %s from %s failed", self.slug, kind, self.peer)
            await self._fail(SignalingError("server_error"), kind, message.ref)

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

    # -- joining -------------------------------------------------------------------------

    async def _hello(self, hello: p.Hello) -> None:
        if self.hello_timer is not None:
            self.hello_timer.cancel()
            self.hello_timer = None
        # meet/routing.py gives this socket the session cookie, not the user: the token
        # is bound to the session key and names its user (signaling/services/tokens.py).
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None:
            user_id: int | None = UNCHECKED
        else:
            user_id = user.pk if user.is_authenticated else None
        try:
            claims = join_token_read(
                hello.token,
                session_key=session.session_key if session is not None else None,
                user_id=user_id,
            )
            if claims.slug != self.slug:
                raise JoinRefused("token_invalid")
            await self._admissible(claims)
        except SignalingError as refused:
            close_code = _CLOSE_FOR.get(refused.code, CLOSE_REFUSED)
            await self._refuse(refused.code, close_code, refused.params)
            return
        self.name, self.identity = claims.name, claims.identity
        bus = get_bus()
        self.member = Subscriber(
            peer="", host=claims.role == LiveRole.HOST, send=_fan_out_send(self.base_send)
        )
        # In the hub before reading the room: nothing said after the read is missed.
        await bus.join(self.slug, self.member)
        shared_of, version = self._cached_shared()
        try:
            outcome = await _joins(
                joins.JoinRequest(
                    claims=claims,
                    channel_name=self.channel_name,
                    resume=hello.resume,
                    ice_servers=wire.browser_ice_servers(claims.identity),
                    with_participants=False,
                    shared_of=shared_of,
                    address=limits.address_key(self.address),  # an IPv6 /64 as one
                    session_key=session.session_key if session is not None else None,
                )
            )
        except JoinRefused as refused:
            await bus.leave(self.slug, self.member)
            self.member = None
            await self._refuse(refused.code, _CLOSE_FOR.get(refused.code, CLOSE_REFUSED))
            return
        self.role = outcome.role
        self.peer = self.member.peer = outcome.peer
        presence.remember(self.peer)
        if outcome.state == "lobby":
            await bus.leave(self.slug, self.member)
            self.member = None
            self.state = "lobby"
            await self._send(p.event("lobby.waiting", peer=outcome.peer, name=outcome.name))
            return
        await self._go_live(outcome.welcome or {}, version)

    async def _admissible(self, claims: JoinClaims) -> None:
        """Limits, then one connection per token (the claims are read again in the join).

        Neither reaches the database thread: joins queue there in batches."""
        await limits.alimit("join", address=self.address, person=claims.identity)
        # One connection per token: a copied token opens nothing (the page asks for a new
        # token before each connection, so a reconnect never needs an old one).
        if not await limits.atoken_claim(claims.nonce, ttl_secs=conf.join_token_secs() + 5):
            raise JoinRefused("token_used")

    def _cached_shared(self) -> tuple[int, int]:
        """(meeting of the hub's cached shared welcome part or 0, the hub's version)."""
        hub = get_bus().hub(self.slug)
        if hub is None:
            return 0, -1
        cached = hub.shared()
        return (cached[0] if cached else 0), hub.shared_version

    async def _go_live(self, welcome: dict[str, Any], version: int) -> None:
        meeting = welcome["room"]["meeting"]
        hub = get_bus().hub(self.slug)
        if "chat" in welcome:
            if hub is not None:
                hub.keep_shared(meeting, {k: welcome[k] for k in selectors.SHARED_KEYS}, version)
        else:
            cached = hub.shared(meeting) if hub is not None else None
            if cached is None:  # an event changed it while this join was being read
                welcome.update(await _db(selectors.shared_of_meeting)(meeting))
            else:
                welcome.update(cached[1])
        roster = await self._roster(meeting)
        you = welcome["you"]
        if all(person["peer"] != you["peer"] for person in roster):
            roster = [*roster, you]  # its own join may still be on its way (Redis)
        welcome["participants"] = roster
        welcome["hands"] = selectors.hands_of(roster)
        self.state = "joined"
        await self.send(text_data=p.encode(welcome))
        if self.member is not None:
            await self.member.go_live()

    async def _roster(self, meeting: int) -> list[dict[str, Any]]:
        """The room's participants from this process's hub (read once per hub from the DB).

        The member is registered with the hub before its join was committed, so every
        event after this moment reaches it too; taking the roster and going live happen
        without an await in between."""
        hub = get_bus().hub(self.slug)
        if hub is None:  # cannot happen while this member is registered
            return list(await _db(selectors.participants_wire)(meeting))
        roster = hub.roster(meeting)
        if roster is None:
            rows = await _db(selectors.participants_wire)(meeting)
            if hub.roster(meeting) is None:
                hub.load_roster(meeting, rows)
            roster = hub.roster(meeting) or rows
        return roster

    async def _admitted(self) -> None:
        if self.state != "lobby":
            return
        self.member = Subscriber(
            peer=self.peer, host=self.role == LiveRole.HOST, send=_fan_out_send(self.base_send)
        )
        await get_bus().join(self.slug, self.member)
        shared_of, version = self._cached_shared()
        welcome = await _db(joins.participant_welcome)(
            peer=self.peer,
            ice_servers=wire.browser_ice_servers(self.peer),
            with_participants=False,
            shared_of=shared_of,
        )
        await self._go_live(welcome, version)

    # -- control from services and the media worker ------------------------------------

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

    # -- handlers ------------------------------------------------------------------------

    async def _chat(self, message: p.ChatSend) -> None:
        # Per person across their connections and per address, besides this socket's bucket.
        await limits.alimit("chat", address=self.address, person=self.identity)
        await _db(chat.chat_post)(actor_peer=self.peer, text=message.text, ref=message.ref)

    async def _hand_raise(self, message: p.HandRaise) -> None:
        await _db(moderation.hand_raise)(actor_peer=self.peer)

    async def _hand_lower(self, message: p.HandLower) -> None:
        await _db(moderation.hand_lower)(actor_peer=self.peer, peer=message.peer)

    async def _poll_create(self, message: p.PollCreate) -> None:
        await _db(polls.poll_create)(
            actor_peer=self.peer,
            question=message.question,
            options=message.options,
            multiple=message.multiple,
        )

    async def _poll_vote(self, message: p.PollVote) -> None:
        slug = await _db(polls.poll_vote)(
            actor_peer=self.peer, poll_id=message.poll, choices=message.choices
        )
        ack = p.event("poll.voted", poll=message.poll, choices=list(message.choices))
        await self._send({**ack, **({"ref": message.ref} if message.ref else {})})
        _schedule_results(slug, message.poll)

    async def _poll_close(self, message: p.PollClose) -> None:
        await _db(polls.poll_close)(actor_peer=self.peer, poll_id=message.poll)

    async def _slides_show(self, message: p.SlidesShow) -> None:
        title, text = await _db(slides.slides_show)(
            actor_peer=self.peer, deck_id=message.deck, page=message.page
        )
        # A chapter of the room's recording, if one is being made (the worker knows).
        await self._to_worker(
            wire.to_worker_recording(
                room=self.slug, action="chapter", recording="", directory="", title=title, text=text
            )
        )

    async def _slides_stop(self, message: p.SlidesStop) -> None:
        await _db(slides.slides_stop)(actor_peer=self.peer)

    async def _mute(self, message: p.ModMute) -> None:
        peer = await _db(moderation.participant_mute)(actor_peer=self.peer, peer=message.peer)
        await self._to_worker_control("mute_audio", target=peer)

    async def _mute_all(self, message: p.ModMuteAll) -> None:
        for peer in await _db(moderation.participants_mute_all)(actor_peer=self.peer):
            await self._to_worker_control("mute_audio", target=peer)

    async def _stop_video(self, message: p.ModStopVideo) -> None:
        peer = await _db(moderation.participant_mute)(
            actor_peer=self.peer, peer=message.peer, source="camera"
        )
        await self._to_worker_control("stop_video", target=peer)

    async def _remove(self, message: p.ModRemove) -> None:
        peer = await _db(moderation.participant_remove)(actor_peer=self.peer, peer=message.peer)
        await self._to_worker_control("leave", peer=peer)

    async def _presenter(self, message: p.ModPresenter) -> None:
        await _db(moderation.participant_presenter)(
            actor_peer=self.peer, peer=message.peer, on=message.on
        )
        # Hosts and presenters alone feed the recording and the broadcast (the worker).
        await self._to_worker_control(
            "presenter_on" if message.on else "presenter_off", target=message.peer
        )

    async def _lock(self, message: p.ModLock) -> None:
        await _db(meetings.meeting_lock)(actor_peer=self.peer, locked=message.locked)

    async def _lobby(self, message: p.ModLobby) -> None:
        await _db(meetings.meeting_lobby)(actor_peer=self.peer, enabled=message.enabled)

    async def _admit(self, message: p.ModAdmit) -> None:
        await _db(meetings.lobby_admit)(actor_peer=self.peer, peer=message.peer)

    async def _deny(self, message: p.ModDeny) -> None:
        await _db(meetings.lobby_deny)(actor_peer=self.peer, peer=message.peer)

    async def _end(self, message: p.ModEnd) -> None:
        await _db(meetings.meeting_end)(actor_peer=self.peer)
        await self._to_worker_control("close_room")

    async def _rtc(self, message: p.RtcSignal) -> None:
        signal: Any = message.signal
        try:
            await self.channel_layer.send(
                wire.MEDIA_WORKER_CHANNEL,
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

    async def _media_reported(self, message: p.MediaState) -> None:
        await self._media_state((message.audio, message.video, message.screen))

    async def _media_state(self, state: tuple[bool, bool, bool]) -> None:
        if state == self.media_sources:
            return
        self.media_sources = state
        audio, video, screen = state
        await _db(moderation.participant_media)(
            peer=self.peer, audio=audio, video=video, screen=screen
        )

    # -- output --------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=p.encode(message))

    async def _error(
        self, code: str, text: str, *, field: str = "", for_type: str = "", ref: str = ""
    ) -> None:
        await self._send(p.error(code, text, field=field, for_type=for_type, ref=ref))

    async def _fail(self, refused: SignalingError, kind: str, ref: str) -> None:
        with translation.override(self.language):
            text = refused.message
        await self._error(refused.code, text, for_type=kind, ref=ref)

    async def _refuse(
        self, code: str, close_code: int, params: dict[str, object] | None = None
    ) -> None:
        with translation.override(self.language):
            text = error_text(code, params)
        await self._error(code, text)
        await self._close(close_code)

    async def _close(self, close_code: int) -> None:
        if self.state == "closing":
            return
        self.state = "closing"
        await self.close(code=close_code)

    async def _to_worker_control(self, action: Any, *, peer: str = "", target: str = "") -> None:
        await self._to_worker(
            wire.to_worker_control(
                room=self.slug,
                peer=peer or self.peer,
                reply=self.channel_name,
                action=action,
                target=target,
            )
        )

    async def _to_worker(self, message: Any) -> None:
        try:
            await self.channel_layer.send(wire.MEDIA_WORKER_CHANNEL, message)
        except Exception:  # the worker may be down; the room goes on without media
            logger.warning(
                "live room %s: %s not delivered to the media worker",
                self.slug,
                message.get("action") or message.get("type"),
            )


def protocol_error_text_in(language: str, problem: p.ProtocolError) -> str:
    """Word a protocol error in the connection's language."""
    with translation.override(language):
        return protocol_error_text(problem)


def _schedule_results(slug: str, poll_id: int) -> None:
    """Announce a poll's results at most a few times a second, however fast votes come."""
    if poll_id in _poll_flushes:
        return

    async def flush() -> None:
        try:
            await asyncio.sleep(POLL_RESULTS_INTERVAL_SECS)
            _poll_flushes.pop(poll_id, None)
            await _db(polls.poll_results_announce)(slug=slug, poll_id=poll_id)
        except Exception:
            logger.exception("poll %s: results not announced", poll_id)
        finally:
            _poll_flushes.pop(poll_id, None)

    _poll_flushes[poll_id] = asyncio.ensure_future(flush())
