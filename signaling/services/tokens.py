"""Join tokens: the room page's short-lived, signed word on who joins which room as what."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import asdict, dataclass
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from rooms.models import Room
from signaling import conf, selectors
from signaling.errors import JoinRefused

SALT = "meet.signaling.join"
# Where a browser session keeps its guest names and keys, per room id.
GUESTS_SESSION_KEY = "meet_live_guests"


@dataclass(frozen=True)
class JoinClaims:
    """Who joins: ``identity`` is ``u:<user id>`` or ``g:<guest key>``."""

    room: int
    slug: str
    identity: str
    user_id: int | None
    name: str
    role: str  # host | participant | guest
    session: str  # fingerprint of the browser session that asked for the token
    nonce: str = ""  # this token's own id: a token opens one connection only


def session_fingerprint(session_key: str | None) -> str:
    """A keyed hash of a session key (the key itself never goes into a token)."""
    if not session_key:
        return ""
    return salted_hmac("meet.signaling.session", session_key).hexdigest()[:32]


def join_token_issue(claims: JoinClaims) -> str:
    """Sign the claims with a fresh nonce; valid for ``MEET_LIVE_JOIN_TOKEN_SECS``."""
    fresh = dataclasses.replace(claims, nonce=claims.nonce or secrets.token_urlsafe(12))
    return signing.dumps(asdict(fresh), salt=SALT, compress=True)


# ``user_id`` of join_token_read when the caller did not load the user (see below).
UNCHECKED = -1


def join_token_read(token: str, *, session_key: str | None, user_id: int | None) -> JoinClaims:
    """Check a token's signature, age, session and user; raise ``JoinRefused`` if wrong.

    ``user_id=UNCHECKED`` skips the user comparison: the token names the user it was
    issued to and is bound to the session key that asked for it, so a caller holding that
    session cookie is that user's browser (the live-room socket reads only the cookie, not
    the session and user rows: two queries less on every join)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=conf.join_token_secs())
    except signing.SignatureExpired:
        raise JoinRefused("token_expired") from None
    except signing.BadSignature:
        raise JoinRefused("token_invalid") from None
    try:
        claims = JoinClaims(**data)
    except TypeError:
        raise JoinRefused("token_invalid") from None
    if not claims.nonce:
        raise JoinRefused("token_invalid")
    if not claims.session or claims.session != session_fingerprint(session_key):
        raise JoinRefused("wrong_session")
    if user_id != UNCHECKED and claims.user_id is not None and claims.user_id != user_id:
        raise JoinRefused("wrong_session")
    return claims


def _session_data(session_key: str) -> dict[str, Any]:
    """What the browser session holds now ({} once it is gone: logout flushes it)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return dict(store.load())


def _still_signed_in(data: dict[str, Any], user_id: int) -> Any:
    """The token's user if the session is still theirs and they are active, else None."""
    if str(data.get(SESSION_KEY, "")) != str(user_id):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    # As Django's auth middleware does: a password change ends the other sessions.
    if not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash()):
        return None
    return user


def join_claims_current(claims: JoinClaims, *, session_key: str | None) -> JoinClaims:
    """The claims as they hold now, read again when the socket says hello.

    A token is signed for two minutes, but by the time it is used its session may be
    signed out, its user deactivated or demoted, the room closed to guests: the session,
    the user and the role are read again, and the role of the token is replaced by today's."""
    data = _session_data(session_key) if session_key else {}
    if not data:
        raise JoinRefused("wrong_session")
    room = Room.objects.filter(pk=claims.room, slug=claims.slug).first()
    if room is None:
        raise JoinRefused("no_room")
    if claims.user_id is None:
        guest = (data.get(GUESTS_SESSION_KEY) or {}).get(str(room.pk)) or {}
        if not room.guest_access or f"g:{guest.get('key', '')}" != claims.identity:
            raise JoinRefused("no_longer_allowed")
        return claims
    user = _still_signed_in(data, claims.user_id)
    if user is None:
        raise JoinRefused("wrong_session")
    role = selectors.live_role(user, room)
    if not role:
        raise JoinRefused("no_longer_allowed")
    return dataclasses.replace(claims, role=role)
