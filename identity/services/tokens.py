"""Personal access tokens: made (shown once), used, revoked."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from identity.domain.tokens import SHOWN_CHARS, new_token, token_digest
from identity.errors import IdentityError
from identity.models import AccessToken, TokenScope

MAX_TOKENS_PER_USER = 20
# A token's last use is written at most this often (not on every API call).
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def access_token_create(*, user: User, name: str, scope: str) -> tuple[AccessToken, str]:
    """A new token for ``user``: the record, and the token itself (never stored)."""
    if scope not in TokenScope.values:
        raise IdentityError(_("Choose whether the token may only read or also write."))
    name = " ".join(name.split())[:100]
    if not name:
        raise IdentityError(_("Give the token a name that says where it is used."))
    active = AccessToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    if active.count() >= MAX_TOKENS_PER_USER:
        raise IdentityError(
            _("You have %(max)s tokens already: revoke one you no longer use.")
            % {"max": MAX_TOKENS_PER_USER}
        )
    token = new_token()
    record = AccessToken.objects.create(
        user=user, name=name, scope=scope, digest=token_digest(token), shown=token[:SHOWN_CHARS]
    )
    return record, token


def access_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of ``user``'s tokens (someone else's is not found)."""
    revoked = AccessToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not revoked:
        raise IdentityError(_("This token does not exist or was already revoked."))


def access_token_used(*, token: AccessToken) -> None:
    """Note that a token was just used (at most once a minute)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
