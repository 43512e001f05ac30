"""Training courses (C53 Art. 19): sessions, enrolment, watched time, quizzes, certificates."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rooms.models import Level, Province, Unit
from scheduling.models import Occurrence


class Course(models.Model):
    """A course an organising unit runs: its sessions, who takes it, when it is complete."""

    organiser = models.ForeignKey(
        Unit, verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    hours = models.DecimalField(
        _("hours on the certificate"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("4.0"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("999"))],
    )
    min_percent = models.PositiveSmallIntegerField(
        _("share of each session a teacher must follow (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "title"]
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")

    def __str__(self) -> str:
        return self.title


class CourseSession(models.Model):
    """A live session of the course (a scheduled meeting), watched later on its recording."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions")
    occurrence = models.ForeignKey(
        Occurrence, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["occurrence__start", "id"]
        verbose_name = _("course session")
        verbose_name_plural = _("course sessions")
        constraints = [
            models.UniqueConstraint(fields=["course", "occurrence"], name="one_session_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.course} · {self.occurrence}"


class EnrolmentRule(models.Model):
    """Teachers of the roster a course takes: of a unit (and the units under it), a province,
    a school level; every field left empty matches everyone."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="rules")
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit and the units under it"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    province = models.ForeignKey(
        Province,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    level = models.CharField(_("school level"), max_length=4, choices=Level.choices, blank=True)
    # A subject the roster says they teach ("Toán"), matched by its key (identity's
    # subject_key: "toan"), so a rule takes "every C2 mathematics teacher of the province".
    subject = models.CharField(_("subject taught"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("enrolment rule")
        verbose_name_plural = _("enrolment rules")

    def __str__(self) -> str:
        return " · ".join(str(x) for x in (self.unit, self.province, self.level) if x) or "*"


class CourseInvitation(models.Model):
    """A person invited to the course by name, whatever the rules say."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invited_at"]
        verbose_name = _("course invitation")
        verbose_name_plural = _("course invitations")
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="one_course_invitation")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"


class WatchRecord(models.Model):
    """The parts of a session's recording a teacher watched: merged spans in seconds."""

    session = models.ForeignKey(CourseSession, on_delete=models.CASCADE, related_name="watches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    spans = models.JSONField(default=list)
    seconds = models.FloatField(_("seconds watched"), default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("watched recording")
        verbose_name_plural = _("watched recordings")
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="one_watch_record")]

    def __str__(self) -> str:
        return f"{self.user} · {self.session} · {self.seconds:.0f} s"


class Quiz(models.Model):
    """The course's final quiz: multiple-choice questions and a pass mark."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="quiz")
    pass_percent = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=70, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    required = models.BooleanField(_("must be passed to complete the course"), default=True)

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return str(self.course)


class Question(models.Model):
    """A question of the quiz."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(_("question"), max_length=300)

    class Meta:
        ordering = ["position"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.text


class Choice(models.Model):
    """One answer a question offers."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(pgettext_lazy("quiz", "answer"), max_length=120)
    correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        verbose_name = pgettext_lazy("quiz", "answer")
        verbose_name_plural = pgettext_lazy("quiz", "answers")

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    """A teacher's submitted answers, graded when submitted; every attempt is kept."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField(default=dict)
    percent = models.FloatField(_("score (%)"))
    passed = models.BooleanField(_("passed"))
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        indexes = [models.Index(fields=["quiz", "user"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.percent:.0f}%"


class Certificate(models.Model):
    """A certificate of completion, as issued: what it says is kept even if names change."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certificates")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("verification code"), max_length=24, unique=True)
    teacher_name = models.CharField(_("teacher"), max_length=200)
    school_name = models.CharField(_("school or unit"), max_length=255, blank=True)
    course_title = models.CharField(_("course"), max_length=200)
    organiser_name = models.CharField(_("organising unit"), max_length=255)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="one_certificate_per_course")
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.teacher_name}"
