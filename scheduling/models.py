"""Sessions of the four kinds of C53 Art. 19 and their materialised occurrences."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rooms.models import Room, Unit


class SessionKind(models.TextChoices):
    BRIEFING = "briefing", _("Weekly briefing")
    TRAINING = "training", _("Professional training")
    ELEARNING = "elearning", _("E-learning lecture")
    COMPETITION = "competition", _("Teacher-competition support")


class Session(models.Model):
    """A meeting or a series of meetings in one room, as one iCalendar event (stable UID)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    host_unit = models.ForeignKey(
        Unit, verbose_name=_("host unit"), on_delete=models.PROTECT, related_name="sessions"
    )
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="sessions"
    )
    presenters = models.CharField(_("presenters"), max_length=500, blank=True)
    broadcast = models.BooleanField(_("broadcast to the public (webinar)"), default=False)
    public = models.BooleanField(
        _("shown in the room's public calendar"),
        default=True,
    )
    # The first occurrence; later ones follow ``rrule`` (RFC 5545), stored in UTC.
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    rrule = models.CharField(_("recurrence rule"), max_length=200, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    cancelled = models.BooleanField(default=False)
    materialised_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="session_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Occurrence(models.Model):
    """One meeting of a session, materialised so a week across a province is one query."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="occurrences")
    # Copied from the session so the conflict check and calendars are one indexed range query.
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="occurrences")
    # RECURRENCE-ID: where the rule put it; ``start`` differs when it was moved.
    original_start = models.DateTimeField()
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    title = models.CharField(_("title for this meeting only"), max_length=200, blank=True)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    # Set when this one meeting was changed on its own (an iCalendar override).
    overridden = models.BooleanField(default=False)

    class Meta:
        ordering = ["start"]
        verbose_name = _("occurrence")
        verbose_name_plural = _("occurrences")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "original_start"], name="one_occurrence_per_recurrence_id"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="occurrence_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["room", "start"]),
            models.Index(fields=["start"]),
        ]

    def __str__(self) -> str:
        return f"{self.display_title} · {self.start:%Y-%m-%d %H:%M}"

    @property
    def display_title(self) -> str:
        """This meeting's own title, or the series'."""
        return self.title or self.session.title


class RuleKind(models.TextChoices):
    UNIT = "unit", _("This unit")
    DISTRICTS = "districts", _("All district offices of a province")
    COMMUNES = "communes", _("All commune offices of a province")
    SCHOOLS = "schools", _("All schools of a level in a province")
    UNDER = "under", _("Every site under a unit")


class InvitationRule(models.Model):
    """Whom a session invites, kept as a rule so it follows the directory as it changes."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(_("invite"), max_length=20, choices=RuleKind.choices)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    province = models.ForeignKey(
        "rooms.Province", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    level = models.CharField(_("level"), max_length=4, blank=True)

    class Meta:
        verbose_name = _("invitation rule")
        verbose_name_plural = _("invitation rules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit or self.province or ''} {self.level}".strip()


class Reply(models.TextChoices):
    PENDING = "pending", _("No reply yet")
    YES = "yes", _("Will attend")
    NO = "no", _("Cannot attend")


class Invitation(models.Model):
    """One invited site (unit) of a session, with its reply."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="invitations")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="invitations")
    reply = models.CharField(
        _("reply"), max_length=10, choices=Reply.choices, default=Reply.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The SEQUENCE of the last invitation e-mail sent, so changes are sent once.
    sent_sequence = models.IntegerField(default=-1)

    class Meta:
        ordering = ["unit__name"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.UniqueConstraint(fields=["session", "unit"], name="one_invitation_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.session}"


class Attendance(models.Model):
    """A site or a person present at a meeting, from joining to leaving."""

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="attendance")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=150, blank=True)
    joined_at = models.DateTimeField(_("joined"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["joined_at"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        indexes = [models.Index(fields=["occurrence", "unit"])]

    def __str__(self) -> str:
        return f"{self.name or self.user or self.unit} · {self.occurrence}"

    @property
    def minutes(self) -> int:
        """How long they stayed (until now if they have not left)."""
        end = self.left_at or timezone.now()
        return max(0, int((end - self.joined_at).total_seconds() // 60))


class ReminderSent(models.Model):
    """A reminder already sent, so each one goes out once."""

    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="+")
    offset_minutes = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence", "offset_minutes"], name="one_reminder_per_offset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurrence} −{self.offset_minutes} min"


class FeedToken(models.Model):
    """A secret, revocable address of a private calendar feed of a person or a unit."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A unit's feed is handed to one of its officers and works only while that person
    # still manages the unit's room: a replaced manager's copy of the address goes dead.
    issued_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("private feed link")
        verbose_name_plural = _("private feed links")

    def __str__(self) -> str:
        return f"{self.user or self.unit}"


def _document_path(document: SessionDocument, filename: str) -> str:
    # A random folder: the file is never served by its name, only through a checked view.
    return f"sessions/{document.session.uid}/{uuid.uuid4().hex}/{filename}"


class SessionDocument(models.Model):
    """An agenda document of a session (PDF or Office file), for its invitees."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to=_document_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("agenda document")
        verbose_name_plural = _("agenda documents")

    def __str__(self) -> str:
        return self.name


class PersonInvitation(models.Model):
    """A person invited by name, besides the sites."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_sequence = models.IntegerField(default=-1)

    class Meta:
        verbose_name = _("invited person")
        verbose_name_plural = _("invited people")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="one_invitation_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.session}"


class MeetingReply(models.Model):
    """A site's answer for one meeting of a series, overriding its answer for the series."""

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="meeting_replies"
    )
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="+")
    reply = models.CharField(_("reply"), max_length=10, choices=Reply.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    replied_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reply for one meeting")
        verbose_name_plural = _("replies for one meeting")
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "occurrence"], name="one_reply_per_meeting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invitation} · {self.occurrence}: {self.reply}"


class MailState(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingMail(models.Model):
    """One e-mail to one set of recipients, queued until the mail server has taken it.

    The row is the mail's single truth: the task that sends it claims it first, so a retry
    or a second task never sends a mail already sent."""

    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    kind = models.CharField(_("kind"), max_length=20)
    to = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    # An iTIP message (text/calendar; method=REQUEST or CANCEL), or empty.
    calendar = models.TextField(blank=True)
    calendar_method = models.CharField(max_length=10, blank=True)
    calendar_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MailState.choices, default=MailState.WAITING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # The queued task's id; empty until the creating transaction has committed.
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["state", "session"])]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.state})"
