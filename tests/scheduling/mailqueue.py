"""Running the mail queue in a test, as the scheduler's task worker does."""

from __future__ import annotations

from email.message import Message
from typing import Any

import icalendar
from django.core.management import call_command


def run_mail_queue() -> None:
    """Run django-tasks' database worker until no task is due, then return.

    The worker closes and reopens database connections between tasks, so a test using it
    needs ``django_db(transaction=True)`` (no test-wide transaction to lose)."""
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0
    )


def calendar_parts(message: Message) -> list[tuple[str, str, Any]]:
    """Every calendar part of a MIME message: (content type, iTIP method, parsed calendar)."""
    found = []
    for part in message.walk():
        kind = part.get_content_type()
        if kind in ("text/calendar", "application/ics"):
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            method = part.get_param("method")
            found.append((kind, str(method or ""), icalendar.Calendar.from_ical(payload)))
    return found


def itip(mail: Any) -> tuple[str, Any]:
    """The iTIP method and calendar of a Django e-mail's ``text/calendar`` alternative."""
    parts = [p for p in calendar_parts(mail.message()) if p[0] == "text/calendar"]
    assert len(parts) == 1, parts
    return parts[0][1], parts[0][2]
