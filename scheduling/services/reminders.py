"""Reminders before each meeting, and to sites whose equipment is not ready."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from rooms.models import Room, Site
from rooms.readiness_text import shortfalls_line
from rooms.selectors import site_status
from scheduling.models import Invitation, Occurrence, ReminderSent
from scheduling.services.outbox import MailDraft, mail_queue

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


def _meeting_mail(occurrence: Occurrence, to: list[str]) -> MailDraft:
    subject = _("Reminder: %(title)s, %(when)s") % {
        "title": occurrence.display_title,
        "when": _when(occurrence),
    }
    body = _("“%(title)s” starts %(when)s in the online room %(address)s.") % {
        "title": occurrence.display_title,
        "when": _when(occurrence),
        "address": occurrence.room.address,
    }
    return MailDraft(kind="reminder", to=tuple(to), subject=subject, body=body)


def _readiness_mail(
    occurrence: Occurrence, invitation: Invitation, missing: str, to: list[str]
) -> MailDraft:
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
    return MailDraft(kind="readiness", to=tuple(to), subject=subject, body=body)


def _messages_for(occurrence: Occurrence, readiness: bool) -> list[MailDraft]:
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


def reminders_queue(*, now: datetime | None = None) -> int:
    """Queue every reminder that is due and not yet sent; return how many e-mails.

    The mails are recorded with the reminder in one transaction and sent by the task queue
    after it commits: no transaction stays open while the mail server answers.

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
                        drafts = _messages_for(occurrence, readiness=first)
                        sent += mail_queue(drafts=drafts, session=occurrence.session)
            except IntegrityError:
                continue  # already sent by an earlier run
    return sent
