"""Test clients of the site signed in as someone."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client


def signed_in(user: User) -> Client:
    """A client with ``user``'s session."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def as_user(username: str) -> Client:
    """A client signed in as the user named ``username`` (the demo data's, mostly)."""
    return signed_in(User.objects.get(username=username))
