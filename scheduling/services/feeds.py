"""Private calendar feeds at secret, revocable addresses."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from rooms.models import Unit
from scheduling.models import FeedToken

TOKEN_BYTES = 32


def _owned(*, user: User | None, unit: Unit | None, issued_to: User | None) -> dict[str, object]:
    """Whose address: a person's own, or a unit's as handed to one of its officers."""
    if (user is None) == (unit is None):
        raise ValueError("a feed belongs to exactly one person or one unit")
    if unit is not None and issued_to is None:
        raise ValueError("a unit's feed is issued to the officer who asks for it")
    return {"user": user, "unit": unit, "issued_to": issued_to if unit is not None else None}


@transaction.atomic
def feed_token_renew(
    *, user: User | None = None, unit: Unit | None = None, issued_to: User | None = None
) -> FeedToken:
    """Revoke the current private feed address of a person (or of a unit, as handed to
    ``issued_to``) and issue a new one."""
    owner = _owned(user=user, unit=unit, issued_to=issued_to)
    FeedToken.objects.filter(**owner, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return FeedToken.objects.create(**owner, token=secrets.token_urlsafe(TOKEN_BYTES))


def feed_token_current(
    *, user: User | None = None, unit: Unit | None = None, issued_to: User | None = None
) -> FeedToken:
    """The live private feed address, issued on first use."""
    owner = _owned(user=user, unit=unit, issued_to=issued_to)
    found = FeedToken.objects.filter(**owner, revoked_at__isnull=True).first()
    return found or feed_token_renew(user=user, unit=unit, issued_to=issued_to)
