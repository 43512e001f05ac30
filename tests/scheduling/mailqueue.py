"""Mail in tests: a real SMTP server on loopback, and running the queue as the scheduler does."""

from __future__ import annotations

import email
import socket
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


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Message]:
        return [email.message_from_bytes(e.content) for e in self.envelopes]

    def recipients(self) -> list[str]:
        return sorted(a for e in self.envelopes for a in e.rcpt_tos)


class SmtpServer:
    """A real SMTP server on a loopback port that a test may stop and start again."""

    def __init__(self, port: int) -> None:
        self.port, self.inbox = port, Inbox()
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
