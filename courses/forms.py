"""Forms of training courses: settings, sessions, enrolment, the quiz."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from courses.models import Course
from courses.services.setup import CourseInput
from rooms.form_fields import NfcField
from rooms.models import Level, Province, Unit
from scheduling.models import Occurrence


class CourseForm(forms.Form):
    """A new course."""

    organiser = forms.ModelChoiceField(label=_("Organising unit"), queryset=Unit.objects.none())
    title = NfcField(label=_("Title"), max_length=200)
    description = NfcField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    hours = forms.DecimalField(
        label=_("Hours on the certificate"),
        min_value=Decimal("0.5"),
        max_value=Decimal("999"),
        decimal_places=1,
        initial=Decimal("4"),
    )
    min_percent = forms.IntegerField(
        label=_("Share of each session a teacher must follow (%)"),
        min_value=1,
        max_value=100,
        initial=80,
        help_text=_("Live minutes and minutes of the recording watched afterwards both count."),
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = units  # type: ignore[attr-defined]

    def to_input(self) -> CourseInput:
        """The cleaned values for the service."""
        d = self.cleaned_data
        return CourseInput(
            organiser=d["organiser"],
            title=d["title"],
            description=d["description"],
            hours=d["hours"],
            min_percent=d["min_percent"],
        )


class OccurrenceChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Occurrence) -> str:
        when = timezone.localtime(obj.start)
        return f"{when:%d/%m/%Y %H:%M} · {obj.display_title} ({obj.room.slug})"


def course_occurrences(course: Course) -> QuerySet[Occurrence]:
    """Meetings an organiser may add: those its unit hosts or holds in its room."""
    return (
        Occurrence.objects.filter(
            Q(session__host_unit=course.organiser) | Q(room__unit=course.organiser),
            cancelled=False,
            session__cancelled=False,
        )
        .exclude(pk__in=course.sessions.values("occurrence_id"))
        .select_related("session", "room")
        .order_by("-start")
    )


class SessionForm(forms.Form):
    """A meeting of the scheduler added to the course."""

    occurrence = OccurrenceChoice(label=_("Meeting"), queryset=Occurrence.objects.none())

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurrence"].queryset = course_occurrences(course)[:300]  # type: ignore[attr-defined]


class RuleForm(forms.Form):
    """Teachers of the roster the course takes."""

    unit = forms.ModelChoiceField(
        label=_("Unit (and the units under it)"), queryset=Unit.objects.none(), required=False
    )
    province = forms.ModelChoiceField(
        label=_("Province"), queryset=Province.objects.all(), required=False
    )
    level = forms.ChoiceField(
        label=_("School level"), choices=[("", _("All levels")), *Level.choices], required=False
    )
    subject = NfcField(
        label=_("Subject taught"),
        required=False,
        max_length=100,
        help_text=_("As the roster's “Môn dạy” column writes it, e.g. Toán; empty: every subject."),
    )

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.order_by("name")
        if course.organiser.province_id is not None:
            units = units.filter(province_id=course.organiser.province_id)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class InviteForm(forms.Form):
    """A person invited by user name or e-mail."""

    who = forms.CharField(label=_("User name or e-mail"), max_length=254)

    def clean_who(self) -> User:
        value = self.cleaned_data["who"].strip()
        user = User.objects.filter(Q(username=value) | Q(email__iexact=value), is_active=True)
        if user.count() != 1:
            raise forms.ValidationError(_("Nobody with this user name or e-mail."))
        return user.get()


class QuizForm(forms.Form):
    """The quiz's questions as text, and its pass mark."""

    text = NfcField(
        label=pgettext_lazy("quiz", "Questions"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "A question on a line, then its answers, one per line: * before a right answer, "
            "- before a wrong one. A blank line between questions."
        ),
    )
    pass_percent = forms.IntegerField(label=_("Pass mark (%)"), min_value=1, max_value=100)
    required = forms.BooleanField(label=_("Must be passed to complete the course"), required=False)
