"""Private calendar feeds at secret, revocable addresses."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from rooms.models import Unit
from scheduling.models import FeedToken

TOKEN_BYTES = 32


@transaction.atomic
def feed_token_renew(*, user: User | None = None, unit: Unit | None = None) -> FeedToken:
    """Revoke the current private feed address of a person or unit and issue a new one."""
    if (user is None) == (unit is None):
        raise ValueError("a feed belongs to exactly one person or one unit")
    current = FeedToken.objects.filter(user=user, unit=unit, revoked_at__isnull=True)
    current.update(revoked_at=timezone.now())
    return FeedToken.objects.create(user=user, unit=unit, token=secrets.token_urlsafe(TOKEN_BYTES))


def feed_token_current(*, user: User | None = None, unit: Unit | None = None) -> FeedToken:
    """The live private feed address, issued on first use."""
    found = FeedToken.objects.filter(user=user, unit=unit, revoked_at__isnull=True).first()
    return found or feed_token_renew(user=user, unit=unit)
