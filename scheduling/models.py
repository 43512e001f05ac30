"""Sessions of the four kinds of C53 Art. 19 and their materialised occurrences."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
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
