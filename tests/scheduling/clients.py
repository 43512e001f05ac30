"""Test clients signed in as the demo data's people (rooms/services/demo.py)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client


def as_user(username: str) -> Client:
    """A client signed in as ``username``."""
    client = Client()
    client.force_login(
        User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
    )
    return client


def manager() -> Client:
    """A client signed in as quanly.hanoi, who manages the Hanoi room's schedule."""
    return as_user("quanly.hanoi")
