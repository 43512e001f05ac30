"""Set-up step of bench/signaling.py, run with the server's environment (same database).

    python -m bench.signaling_setup ROOM:COUNT [ROOM:COUNT ...] > credentials.json

Creates each room (guests allowed, no lobby) and COUNT guest sessions for it, each with a
join token as the room page would issue, and prints {room: [[session key, token], ...]}.
"""

from __future__ import annotations

import json
import os
import secrets
import sys


def main(argv: list[str]) -> None:
    """Create the rooms, sessions and tokens; print them as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meet.settings")
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore

    from rooms.models import Room
    from signaling.services.tokens import JoinClaims, join_token_issue, session_fingerprint
    from signaling.views import GUESTS_SESSION_KEY

    out: dict[str, list[list[str]]] = {}
    for spec in argv:
        slug, count = spec.split(":")
        room, _ = Room.objects.get_or_create(
            slug=slug, defaults={"title": f"Benchmark {slug}", "guest_access": True}
        )
        rows = []
        for index in range(int(count)):
            key = secrets.token_urlsafe(12)
            name = f"Điểm cầu {index + 1}"
            store = SessionStore()
            store[GUESTS_SESSION_KEY] = {str(room.pk): {"key": key, "name": name}}
            store.create()
            token = join_token_issue(
                JoinClaims(
                    room=room.pk,
                    slug=room.slug,
                    identity=f"g:{key}",
                    user_id=None,
                    name=name,
                    role="guest",
                    session=session_fingerprint(store.session_key),
                )
            )
            rows.append([str(store.session_key), token])
        out[slug] = rows
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
