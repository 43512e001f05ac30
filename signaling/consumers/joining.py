"""Joining a live room: ``hello``, the lobby, the welcome.

The join token is read and the limits spent without the database thread; the join itself
queues with others (signaling/batch.py), so a storm of joins reads each room, meeting and
schedule once per batch. The member is in the room's hub before the room is read, so
nothing said after the read is missed; the roster comes from the hub, not 1,000 rows.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from mediaworker import wire
from realtime import logcontext
from realtime.errors import CLOSE_REFUSED
from realtime.hub import Subscriber, direct_send
from signaling import conf, presence, seats, selectors
from signaling.batch import Batched
from signaling.bus import get_bus
from signaling.consumers.base import CLOSE_FOR, RoomSocket, db
from signaling.domain import protocol as p
from signaling.errors import JoinRefused, SignalingError
from signaling.metrics import JOIN_SECONDS, MESSAGES
from signaling.models import LiveRole
from signaling.services import joins, limits
from signaling.services.tokens import UNCHECKED, JoinClaims, join_token_read

logger = logging.getLogger(__name__)

# Joins and leaves that queue up while the database thread is busy run together
# (signaling/batch.py): a storm of joins reads each room, meeting and schedule once per
# batch. A batch is bounded so that its one transaction stays short.
MAX_BATCH_CALLS = 50
join_batch: Batched[joins.JoinRequest, joins.JoinOutcome] = Batched(
    lambda requests: joins.participants_join(requests=requests), max_items=MAX_BATCH_CALLS
)
leave_batch: Batched[joins.Leave, joins.Departure] = Batched(
    lambda leaves: joins.participants_leave(leaves=leaves), max_items=MAX_BATCH_CALLS
)


class Joining(RoomSocket):
    """The consumer's part that lets a browser in."""

    async def _hello(self, hello: p.Hello) -> None:
        self.hello_at = time.perf_counter()  # the join's latency runs until the welcome
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
            close_code = CLOSE_FOR.get(refused.code, CLOSE_REFUSED)
            await self._refuse(refused.code, close_code, refused.params)
            return
        self.name, self.identity = claims.name, claims.identity
        bus = get_bus()
        self.member = Subscriber(
            peer="",
            host=claims.role == LiveRole.HOST,
            send=direct_send(self.base_send),
            on_moved=self._media_moved,
        )
        # In the hub before reading the room: nothing said after the read is missed.
        await bus.join(self.slug, self.member)
        shared_of, version = self._cached_shared()
        try:
            outcome = await join_batch(
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
            await self._refuse(refused.code, CLOSE_FOR.get(refused.code, CLOSE_REFUSED))
            return
        self.role = outcome.role
        self.peer = self.member.peer = outcome.peer
        logcontext.bind(peer=self.peer)
        logger.debug("joined as %s (%s)", outcome.role, outcome.state)  # names room and peer
        seats.release(self.peer)  # back within the grace: the held seat is this one now
        presence.remember(self.peer, self.channel_name)
        if outcome.state == "lobby":
            await bus.leave(self.slug, self.member)
            self.member = None
            self.state = "lobby"
            self.hello_at = None  # the wait for a host is no latency of ours
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
                welcome.update(await db(selectors.shared_of_meeting)(meeting))
            else:
                welcome.update(cached[1])
        roster = await self._roster(meeting)
        # No await from reading the roster to sending: the text is the same roster.
        you = welcome["you"]
        hub = get_bus().hub(self.slug)
        text = hub.roster_text(meeting) if hub is not None else None
        if hub is not None and text is not None:
            if not hub.in_roster(meeting, you["peer"]):
                # its own join may still be on its way (Redis)
                roster = [*roster, you]
                text = f"{text[:-1]}{',' if len(text) > 2 else ''}{p.encode(you)}]"
        elif all(person["peer"] != you["peer"] for person in roster):
            roster = [*roster, you]
        welcome["hands"] = selectors.hands_of(roster)
        self.state = "joined"
        MESSAGES.labels(direction="out", type="welcome").inc()
        if text is None:
            welcome["participants"] = roster
            await self.send(text_data=p.encode(welcome))
        else:
            await self.send(text_data=p.encode_with(welcome, "participants", text))
        if self.hello_at is not None:
            JOIN_SECONDS.observe(time.perf_counter() - self.hello_at)
            self.hello_at = None
        if self.member is not None:
            await self.member.go_live()

    async def _roster(self, meeting: int) -> list[dict[str, Any]]:
        """The room's participants from this process's hub (read once per hub from the DB).

        The member is registered with the hub before its join was committed, so every
        event after this moment reaches it too; taking the roster and going live happen
        without an await in between."""
        hub = get_bus().hub(self.slug)
        if hub is None:  # cannot happen while this member is registered
            return list(await db(selectors.participants_wire)(meeting))
        roster = hub.roster(meeting)
        if roster is None:
            rows = await db(selectors.participants_wire)(meeting)
            if hub.roster(meeting) is None:
                hub.load_roster(meeting, rows)
            roster = hub.roster(meeting) or rows
        return roster

    async def _admitted(self) -> None:
        if self.state != "lobby":
            return
        self.member = Subscriber(
            peer=self.peer, host=self.role == LiveRole.HOST, send=direct_send(self.base_send)
        )
        await get_bus().join(self.slug, self.member)
        shared_of, version = self._cached_shared()
        welcome = await db(joins.participant_welcome)(
            peer=self.peer,
            ice_servers=wire.browser_ice_servers(self.peer),
            with_participants=False,
            shared_of=shared_of,
        )
        await self._go_live(welcome, version)
