"""Reminders before each meeting, and to sites whose equipment is not ready."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rooms.models import Room, Site
from rooms.readiness_text import shortfalls_line
from rooms.selectors import site_status
from scheduling.models import Invitation, Occurrence, ReminderSent

DEFAULT_OFFSETS_MINUTES = (24 * 60, 15)


def offsets() -> tuple[int, ...]:
    """Minutes before a meeting when reminders go out (MEET_REMINDER_OFFSETS_MINUTES)."""
    return tuple(
        sorted(
            getattr(settings, "MEET_REMINDER_OFFSETS_MINUTES", DEFAULT_OFFSETS_MINUTES),
            reverse=True,
        )
    )


def _addresses(invitation: Invitation) -> list[str]:
    room = Room.objects.filter(unit=invitation.unit).select_related("manager").first()
    found = [invitation.unit.mailbox, room.manager.email if room and room.manager else ""]
    return sorted({a for a in found if a})


def _when(occurrence: Occurrence) -> str:
    return date_format(timezone.localtime(occurrence.start), "l d/m/Y H:i")


def _meeting_mail(occurrence: Occurrence, to: list[str]) -> EmailMessage:
    subject = _("Reminder: %(title)s, %(when)s") % {
        "title": occurrence.display_title,
        "when": _when(occurrence),
    }
    body = _("“%(title)s” starts %(when)s in the online room %(address)s.") % {
        "title": occurrence.display_title,
        "when": _when(occurrence),
        "address": occurrence.room.address,
    }
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def _readiness_mail(
    occurrence: Occurrence, invitation: Invitation, missing: str, to: list[str]
) -> EmailMessage:
    subject = _("Your site is not ready for %(title)s") % {"title": occurrence.display_title}
    body = _(
        "The meeting site of %(unit)s is not ready for “%(title)s” (%(when)s): %(missing)s. "
        "Please fix the equipment and run the device test on the room's page before the meeting."
    ) % {
        "unit": invitation.unit.name,
        "title": occurrence.display_title,
        "when": _when(occurrence),
        "missing": missing,
    }
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to)


def _messages_for(occurrence: Occurrence, readiness: bool) -> list[EmailMessage]:
    messages = []
    invitations = (
        Invitation.objects.filter(session=occurrence.session)
        .exclude(reply="no")
        .select_related("unit")
    )
    sites = {s.unit_id: s for s in Site.objects.filter(unit__in=[i.unit_id for i in invitations])}
    for invitation in invitations:
        to = _addresses(invitation)
        if not to:
            continue
        messages.append(_meeting_mail(occurrence, to))
        site = sites.get(invitation.unit_id)
        if readiness and site is not None:
            status = site_status(site=site)
            if not status.readiness.ready:
                messages.append(
                    _readiness_mail(occurrence, invitation, shortfalls_line(status.readiness), to)
                )
    return messages


def reminders_send(*, now: datetime | None = None) -> int:
    """Send every reminder that is due and not yet sent; return how many e-mails went out.

    Offsets are taken shortest first: a meeting scheduled at short notice gets one
    reminder, not one per offset, and its first reminder carries the readiness warning.
    """
    now = now or timezone.now()
    sent = 0
    for offset in sorted(offsets()):
        due = Occurrence.objects.filter(
            cancelled=False,
            session__cancelled=False,
            start__gt=now,
            start__lte=now + timedelta(minutes=offset),
        ).select_related("session", "room")
        for occurrence in due:
            earlier = ReminderSent.objects.filter(occurrence=occurrence)
            try:
                with transaction.atomic():
                    first = not earlier.exists()
                    covered = earlier.filter(offset_minutes__lt=offset).exists()
                    ReminderSent.objects.create(occurrence=occurrence, offset_minutes=offset)
                    if not covered:
                        messages = _messages_for(occurrence, readiness=first)
                        sent += get_connection().send_messages(messages) or 0
            except IntegrityError:
                continue  # already sent by an earlier run
    return sent
