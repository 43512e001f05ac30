"""Teacher-excellence competitions (C53 Art. 19.4): rubric, contestants, juries, slots, scores."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from rooms.models import Level, Room, Unit
from scheduling.models import Session


class CompetitionLevel(models.TextChoices):
    SCHOOL = "school", _("School level")
    COMMUNE = "commune", _("Commune level")
    DISTRICT = "district", _("District level")
    PROVINCE = "province", _("Provincial level")
    NATIONAL = "national", _("National level")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Registration open")
    CLOSED = "closed", _("Registration closed")
    TIMETABLED = "timetabled", _("Timetabled")
    SCORING = "scoring", _("Scoring")
    PUBLISHED = "published", _("Results published")


class Aggregation(models.TextChoices):
    MEAN = "mean", _("Mean of the jurors' totals")
    TRIMMED = "trimmed", _("Mean without the highest and the lowest total")


class Competition(models.Model):
    """A competition an organising unit runs, from registration to published results."""

    organiser = models.ForeignKey(
        Unit, verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=CompetitionLevel.choices)
    school_level = models.CharField(
        _("for teachers of"), max_length=4, choices=Level.choices, blank=True
    )
    rounds = models.TextField(
        _("rounds"), blank=True, help_text=_("The rounds and what each holds, one per line.")
    )
    first_day = models.DateField(_("first day of lessons"))
    last_day = models.DateField(_("last day of lessons"))
    day_start = models.TimeField(_("lessons from"), default=time(7, 30))
    day_end = models.TimeField(_("lessons until"), default=time(11, 30))
    slot_minutes = models.PositiveSmallIntegerField(
        _("lesson length (minutes)"),
        default=45,
        validators=[MinValueValidator(10), MaxValueValidator(240)],
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("break between lessons (minutes)"), default=15, validators=[MaxValueValidator(120)]
    )
    rooms = models.ManyToManyField(Room, verbose_name=_("rooms it may use"), related_name="+")
    aggregation = models.CharField(
        _("how the jurors' totals are combined"),
        max_length=10,
        choices=Aggregation.choices,
        default=Aggregation.MEAN,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("results published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-first_day", "name"]
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="competition_days_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(day_end__gt=models.F("day_start")),
                name="competition_hours_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    """A subject contestants teach; each has its own jury panel."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="subjects")
    name = models.CharField(_("subject"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        constraints = [
            models.UniqueConstraint(fields=["competition", "name"], name="one_subject_per_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Criterion(models.Model):
    """A line of the competition's scoring rubric."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("criterion"), max_length=200)
    description = models.TextField(_("what the jury looks for"), blank=True)
    weight = models.DecimalField(
        _("weight"),
        max_digits=4,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    max_points = models.DecimalField(
        _("maximum points"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_points__gt=0), name="criterion_has_points"
            ),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="criterion_has_weight"),
        ]

    def __str__(self) -> str:
        return self.name


def _document_path(document: ContestantDocument, filename: str) -> str:
    return f"competitions/{document.contestant.competition_id}/{document.contestant_id}/{filename}"


class Contestant(models.Model):
    """A teacher a school registers: the lesson they will teach, in which subject."""

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="contestants"
    )
    school = models.ForeignKey(
        Unit, verbose_name=_("school or unit"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="contestants"
    )
    teacher_name = models.CharField(_("teacher's full name"), max_length=120)
    teacher_email = models.EmailField(_("teacher's e-mail"), blank=True)
    lesson_title = models.CharField(_("lesson title"), max_length=250)
    class_name = models.CharField(_("class taught"), max_length=40, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["registered_at", "id"]
        verbose_name = _("contestant")
        verbose_name_plural = _("contestants")

    def __str__(self) -> str:
        return self.teacher_name


class ContestantDocument(models.Model):
    """A lesson plan or another document of a contestant, for the organiser and the jury."""

    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to=_document_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(default=0)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("contestant's document")
        verbose_name_plural = _("contestants' documents")

    def __str__(self) -> str:
        return self.name


class Juror(models.Model):
    """A member of a subject's jury panel, from a unit; one chairs each panel."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="jurors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("comes from"), on_delete=models.PROTECT, related_name="+"
    )
    chair = models.BooleanField(_("chairs the panel"), default=False)

    class Meta:
        ordering = ["-chair", "id"]
        verbose_name = _("juror")
        verbose_name_plural = _("jurors")
        constraints = [
            models.UniqueConstraint(fields=["subject", "user"], name="one_seat_per_panel"),
            models.UniqueConstraint(
                fields=["subject"], condition=models.Q(chair=True), name="one_chair_per_panel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.subject}"


class Slot(models.Model):
    """When and in which room a contestant teaches their lesson."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="slots")
    contestant = models.OneToOneField(Contestant, on_delete=models.CASCADE, related_name="slot")
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    # The lesson's booking of the room in the scheduler: a private meeting of the
    # "competition" kind, so the room's calendar and its other bookings see it.
    session = models.OneToOneField(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="lesson_slot"
    )
    # The lesson's private recording for the jury's review (meet/lessons.py starts it once
    # somebody is in the room, and stops it at the slot's end); the archive's id, not a key:
    # competitions know nothing of the archive.
    review_recording = models.UUIDField(_("recording for the review"), null=True, blank=True)

    class Meta:
        ordering = ["start", "room__slug"]
        verbose_name = _("lesson slot")
        verbose_name_plural = _("lesson slots")
        indexes = [models.Index(fields=["competition", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="slot_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contestant} · {self.start:%Y-%m-%d %H:%M}"


class ScoreSheet(models.Model):
    """One juror's scores of one contestant; locked once submitted until the chair reopens it."""

    contestant = models.ForeignKey(Contestant, on_delete=models.CASCADE, related_name="sheets")
    juror = models.ForeignKey(Juror, on_delete=models.PROTECT, related_name="sheets")
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        constraints = [
            models.UniqueConstraint(fields=["contestant", "juror"], name="one_sheet_per_juror"),
        ]

    def __str__(self) -> str:
        return f"{self.juror.user} · {self.contestant}"


class Score(models.Model):
    """Points of one criterion on a sheet."""

    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["sheet", "criterion"], name="one_score_per_criterion"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.points}"


class Reopening(models.Model):
    """The audit log: a chair reopened a submitted sheet, and why."""

    sheet = models.ForeignKey(ScoreSheet, on_delete=models.CASCADE, related_name="reopenings")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("reason"))
    submitted_at = models.DateTimeField(_("the sheet had been submitted"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]
        verbose_name = _("reopened sheet")
        verbose_name_plural = _("reopened sheets")

    def __str__(self) -> str:
        return f"{self.sheet} · {self.at:%Y-%m-%d %H:%M}"
