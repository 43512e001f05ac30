"""Usernames for accounts made from an e-mail address or a roster row."""

from __future__ import annotations

import re

from django.contrib.auth.models import User

from rooms.domain.naming import normalize, strip_diacritics

USERNAME_MAX_CHARS = 150
_NOT_USERNAME = re.compile(r"[^a-z0-9._-]+")


def free_username(seed: str) -> str:
    """A free username from an address's local part (``Nguyễn.An@x`` → ``nguyen.an``)."""
    local = seed.split("@", 1)[0]
    base = _NOT_USERNAME.sub("", strip_diacritics(normalize(local)).lower()).strip(".-_")
    base = (base or "nguoidung")[: USERNAME_MAX_CHARS - 8]
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
