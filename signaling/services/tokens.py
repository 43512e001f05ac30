"""Join tokens: the room page's short-lived, signed word on who joins which room as what."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core import signing
from django.utils.crypto import salted_hmac

from signaling import conf
from signaling.errors import JoinRefused

SALT = "meet.signaling.join"


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


def session_fingerprint(session_key: str | None) -> str:
    """A keyed hash of a session key (the key itself never goes into a token)."""
    if not session_key:
        return ""
    return salted_hmac("meet.signaling.session", session_key).hexdigest()[:32]


def join_token_issue(claims: JoinClaims) -> str:
    """Sign the claims; valid for ``MEET_LIVE_JOIN_TOKEN_SECS``."""
    return signing.dumps(asdict(claims), salt=SALT, compress=True)


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
    if not claims.session or claims.session != session_fingerprint(session_key):
        raise JoinRefused("wrong_session")
    if user_id != UNCHECKED and claims.user_id is not None and claims.user_id != user_id:
        raise JoinRefused("wrong_session")
    return claims
