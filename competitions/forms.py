"""Forms of competitions: settings, rubric, registration, panels, moves, score sheets."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from competitions.models import Aggregation, Competition, CompetitionLevel, Criterion, Subject
from competitions.services.registration import MAX_DOCUMENTS, ContestantInput
from competitions.services.setup import CompetitionInput, CriterionInput
from rooms.form_fields import NfcField
from rooms.models import Level, Room, Unit

MAX_SUBJECTS = 30


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _time() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class RoomChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Room) -> str:
        return f"{obj.display_name} ({obj.slug})"


class CompetitionForm(forms.Form):
    """A competition's settings; the subjects one per line."""

    organiser = forms.ModelChoiceField(label=_("Organising unit"), queryset=Unit.objects.none())
    name = NfcField(label=_("Name"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=CompetitionLevel.choices)
    school_level = forms.ChoiceField(
        label=_("For teachers of"), choices=[("", _("All levels")), *Level.choices], required=False
    )
    subjects = NfcField(
        label=_("Subjects"),
        help_text=_("One subject per line; each has its own jury panel."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    rounds = NfcField(
        label=_("Rounds"),
        required=False,
        help_text=_("The rounds and what each holds, one per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    first_day = forms.DateField(label=_("First day of lessons"), widget=_date())
    last_day = forms.DateField(label=_("Last day of lessons"), widget=_date())
    day_start = forms.TimeField(label=_("Lessons from"), widget=_time())
    day_end = forms.TimeField(label=_("Lessons until"), widget=_time())
    slot_minutes = forms.IntegerField(
        label=_("Lesson length (minutes)"), min_value=10, max_value=240
    )
    buffer_minutes = forms.IntegerField(
        label=_("Break between lessons (minutes)"), min_value=0, max_value=120
    )
    rooms = RoomChoice(
        label=_("Rooms the lessons may use"),
        queryset=Room.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    aggregation = forms.ChoiceField(
        label=_("How the jurors' totals are combined"),
        choices=Aggregation.choices,
        help_text=_(
            "Without the highest and lowest needs three sheets or more; with fewer it is the mean."
        ),
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], rooms: QuerySet[Room], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = units  # type: ignore[attr-defined]
        self.fields["rooms"].queryset = rooms  # type: ignore[attr-defined]

    def clean_subjects(self) -> list[str]:
        names = [" ".join(line.split()) for line in self.cleaned_data["subjects"].splitlines()]
        unique = list(dict.fromkeys(n for n in names if n))
        if not unique:
            raise forms.ValidationError(_("Name at least one subject."))
        if len(unique) > MAX_SUBJECTS or any(len(n) > 100 for n in unique):
            raise forms.ValidationError(_("At most 30 subjects, each up to 100 characters."))
        return unique

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The last day must not come before the first day."))
        start, end = data.get("day_start"), data.get("day_end")
        if start and end and end <= start:
            self.add_error("day_end", _("Lessons must end after they start each day."))
        return data

    def to_input(self) -> CompetitionInput:
        """The service's input from the cleaned form."""
        data = self.cleaned_data
        return CompetitionInput(
            organiser=data["organiser"],
            name=data["name"],
            level=data["level"],
            school_level=data["school_level"],
            rounds=data["rounds"],
            first_day=data["first_day"],
            last_day=data["last_day"],
            day_start=data["day_start"],
            day_end=data["day_end"],
            slot_minutes=data["slot_minutes"],
            buffer_minutes=data["buffer_minutes"],
            aggregation=data["aggregation"],
            subjects=data["subjects"],
            rooms=list(data["rooms"]),
        )

    @staticmethod
    def initial_of(competition: Competition) -> dict[str, object]:
        """The form's values for a competition being changed."""
        return {
            "organiser": competition.organiser_id,
            "name": competition.name,
            "level": competition.level,
            "school_level": competition.school_level,
            "subjects": "\n".join(s.name for s in competition.subjects.all()),
            "rounds": competition.rounds,
            "first_day": competition.first_day,
            "last_day": competition.last_day,
            "day_start": competition.day_start,
            "day_end": competition.day_end,
            "slot_minutes": competition.slot_minutes,
            "buffer_minutes": competition.buffer_minutes,
            "rooms": list(competition.rooms.values_list("pk", flat=True)),
            "aggregation": competition.aggregation,
        }


class CriterionForm(forms.Form):
    """One line of the rubric; leave the name empty (or tick remove) to drop it."""

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = NfcField(label=_("Criterion"), max_length=200, required=False)
    description = NfcField(
        label=_("What the jury looks for"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.DecimalField(
        label=_("Weight"), min_value=Decimal("0.01"), max_value=10, decimal_places=2, initial=1
    )
    max_points = forms.DecimalField(
        label=_("Maximum points"), min_value=Decimal("0.25"), max_value=100, decimal_places=2
    )
    remove = forms.BooleanField(label=_("Remove"), required=False)


class BaseRubricFormSet(forms.BaseFormSet[CriterionForm]):
    def lines(self) -> list[CriterionInput]:
        """The kept lines, in the order shown."""
        return [
            CriterionInput(
                pk=f.cleaned_data.get("pk"),
                name=f.cleaned_data["name"],
                description=f.cleaned_data.get("description", ""),
                weight=f.cleaned_data["weight"],
                max_points=f.cleaned_data["max_points"],
            )
            for f in self.forms
            if f.cleaned_data and f.cleaned_data.get("name") and not f.cleaned_data.get("remove")
        ]


def rubric_formset(data: Any, initial: list[dict[str, object]]) -> BaseRubricFormSet:
    """The rubric's lines as a formset, with two empty lines to add criteria."""
    formset_class = forms.formset_factory(
        CriterionForm, formset=BaseRubricFormSet, extra=2, max_num=20, validate_max=True
    )
    return formset_class(data, initial=initial)  # type: ignore[return-value]


def rubric_initial(criteria: list[Criterion]) -> list[dict[str, object]]:
    """The rubric form's rows for the current rubric."""
    return [
        {
            "pk": c.pk,
            "name": c.name,
            "description": c.description,
            "weight": c.weight,
            "max_points": c.max_points,
        }
        for c in criteria
    ]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DocumentsField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class RegistrationForm(forms.Form):
    """A school registers one of its teachers."""

    school = forms.ModelChoiceField(label=_("School or unit"), queryset=Unit.objects.none())
    subject = forms.ModelChoiceField(label=_("Subject"), queryset=Subject.objects.none())
    teacher_name = NfcField(label=_("Teacher's full name"), max_length=120)
    teacher_email = forms.EmailField(label=_("Teacher's e-mail"), required=False)
    lesson_title = NfcField(label=_("Lesson title"), max_length=250)
    class_name = NfcField(label=_("Class taught"), max_length=40, required=False)
    documents = DocumentsField(
        label=_("Lesson plan and documents"),
        required=False,
        help_text=_("PDF or office documents, at most 5."),
    )

    def __init__(
        self, *args: Any, schools: QuerySet[Unit], subjects: QuerySet[Subject], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        self.fields["subject"].queryset = subjects  # type: ignore[attr-defined]
        # One choice: already chosen (a competition of one subject is common).
        if schools.count() == 1:
            self.fields["school"].initial = schools.first()
        if subjects.count() == 1:
            self.fields["subject"].initial = subjects.first()

    def clean_documents(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("documents") or []
        if len(files) > MAX_DOCUMENTS:
            raise forms.ValidationError(_("Attach at most 5 documents."))
        return files

    def to_input(self) -> ContestantInput:
        """The service's input from the cleaned form."""
        data = self.cleaned_data
        return ContestantInput(
            school=data["school"],
            subject=data["subject"],
            teacher_name=data["teacher_name"],
            teacher_email=data["teacher_email"],
            lesson_title=data["lesson_title"],
            class_name=data["class_name"],
            documents=data["documents"],
        )


class JurorForm(forms.Form):
    """Seat a person, by user name, on a subject's panel."""

    subject = forms.ModelChoiceField(
        label=_("Panel of the subject"), queryset=Subject.objects.none()
    )
    username = forms.CharField(label=_("User name of the juror"), max_length=150)
    unit = forms.ModelChoiceField(label=_("Comes from"), queryset=Unit.objects.none())
    chair = forms.BooleanField(label=_("Chairs the panel"), required=False)

    def __init__(
        self, *args: Any, subjects: QuerySet[Subject], units: QuerySet[Unit], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = subjects  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if subjects.count() == 1:  # one panel: already chosen
            self.fields["subject"].initial = subjects.first()

    def clean_username(self) -> User:
        name = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("Nobody with an active account has this user name."))
        return user


class MoveForm(forms.Form):
    """Where and when a lesson moves."""

    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none())
    day = forms.DateField(label=_("Date"), widget=_date())
    start_time = forms.TimeField(label=_("Starts"), widget=_time())

    def __init__(self, *args: Any, rooms: QuerySet[Room], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]

    def start(self) -> datetime:
        """The new start, aware, in the site's zone."""
        zone = timezone.get_current_timezone()
        return datetime.combine(
            self.cleaned_data["day"], self.cleaned_data["start_time"], tzinfo=zone
        )


class SheetForm(forms.Form):
    """A juror's points, one field per criterion, and a comment."""

    comment = NfcField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, criteria: list[Criterion], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            self.fields[f"c{criterion.pk}"] = forms.DecimalField(
                label=criterion.name,
                help_text=_("%(description)s (at most %(max)s points)")
                # The template shows help texts unescaped: the organiser's words are escaped.
                % {
                    "description": escape(criterion.description),
                    "max": criterion.max_points.normalize(),
                },
                required=False,
                # The bounds are the rubric's, checked by the service with its own words;
                # the browser hears of them through the input's attributes.
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={
                        "step": "0.25",
                        "min": "0",
                        "max": str(criterion.max_points),
                        "inputmode": "decimal",
                    }
                ),
            )
        self.order_fields([*(f"c{c.pk}" for c in criteria), "comment"])

    def points(self) -> dict[int, Decimal | None]:
        """The points given, by criterion id (None where left empty)."""
        return {c.pk: self.cleaned_data.get(f"c{c.pk}") for c in self.criteria}


class ReopenForm(forms.Form):
    """Why the chair reopens a sheet."""

    reason = NfcField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)
