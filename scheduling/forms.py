"""The session form, with a recurrence picker people understand."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rooms.models import Unit
from scheduling.domain.recurrence import WEEKDAYS, Rule, RuleError, validate
from scheduling.errors import rule_error_message
from scheduling.models import RuleKind, SessionKind
from scheduling.services.invitations import RuleInput

REPEAT_CHOICES = [
    ("none", _("Does not repeat")),
    ("weekly", _("Every week")),
    ("biweekly", _("Every two weeks")),
    ("monthly", _("Every month, same weekday")),
]
WEEKDAY_CHOICES = [
    ("MO", _("Monday")),
    ("TU", _("Tuesday")),
    ("WE", _("Wednesday")),
    ("TH", _("Thursday")),
    ("FR", _("Friday")),
    ("SA", _("Saturday")),
    ("SU", _("Sunday")),
]


class SessionForm(forms.Form):
    """One session or a series: date, times, and how it repeats until when."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    presenters = forms.CharField(label=_("Presenters"), required=False, max_length=500)
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    repeat = forms.ChoiceField(label=_("Repeats"), choices=REPEAT_CHOICES, initial="none")
    weekdays = forms.MultipleChoiceField(
        label=_("On"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For weekly meetings; empty means the weekday of the date."),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("For example the last day of the semester. Empty: 18 months ahead."),
    )
    invite_districts = forms.BooleanField(
        label=_("Invite all district offices of the province"), required=False
    )
    invite_schools = forms.ChoiceField(
        label=_("Invite the schools of the province"),
        required=False,
        choices=[("", _("No schools")), ("all", _("All schools"))]
        + [(level, level) for level in ("C0", "C1", "C2", "C3", "C12", "C23", "C123")],
    )
    invite_under = forms.BooleanField(label=_("Invite every site under this unit"), required=False)
    invite_people = forms.CharField(
        label=_("Invite people"),
        required=False,
        max_length=2000,
        help_text=_("User names or e-mail addresses, separated by commas."),
    )
    public = forms.BooleanField(
        label=_("Show in the room's public calendar"), required=False, initial=True
    )
    broadcast = forms.BooleanField(label=_("Broadcast to the public (webinar)"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The end must come after the start."))
        day, until = data.get("day"), data.get("until")
        if day and until and until < day:
            self.add_error("until", _("The repetition must end after the first meeting."))
        # Who can be invited is the service's answer (people_invite), given after saving
        # in one transaction; the form only splits the list.
        data["people"] = [n.strip() for n in data.get("invite_people", "").split(",") if n.strip()]
        if not self.errors:
            try:
                data["rule"] = self._rule(data)
            except RuleError as exc:
                self.add_error("repeat", rule_error_message(exc))
        return data

    @staticmethod
    def _rule(data: dict[str, Any]) -> Rule | None:
        repeat, day = data["repeat"], data["day"]
        weekday = WEEKDAYS[day.weekday()]
        until: date | None = data.get("until")
        if repeat == "none":
            return None
        if repeat == "monthly":
            setpos = (day.day - 1) // 7 + 1
            return validate(
                Rule("MONTHLY", weekdays=(weekday,), setpos=min(setpos, 4), until=until)
            )
        days = tuple(data.get("weekdays") or [weekday])
        return validate(Rule("WEEKLY", 2 if repeat == "biweekly" else 1, days, until=until))

    def invitation_rules(self, unit: Unit) -> list[RuleInput]:
        """The invitation rules the form asks for, for a session hosted by ``unit``."""
        data = self.cleaned_data
        rules = []
        if data.get("invite_districts"):
            rules.append(RuleInput(RuleKind.DISTRICTS, province=unit.province))
        if data.get("invite_schools"):
            level = "" if data["invite_schools"] == "all" else data["invite_schools"]
            rules.append(RuleInput(RuleKind.SCHOOLS, province=unit.province, level=level))
        if data.get("invite_under"):
            rules.append(RuleInput(RuleKind.UNDER, unit=unit))
        return rules

    def moments(self) -> tuple[datetime, datetime]:
        """The first meeting's start and end, aware, in the site's zone."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        day: date = data["day"]
        start: time = data["start_time"]
        end: time = data["end_time"]
        return datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone)


class MoveForm(forms.Form):
    """A new date and time (and optionally a title) for one meeting."""

    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    title = forms.CharField(label=_("Title for this meeting only"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("start_time")
            and data.get("end_time")
            and data["end_time"] <= data["start_time"]
        ):
            self.add_error("end_time", _("The end must come after the start."))
        return data

    def moments(self) -> tuple[datetime, datetime]:
        """The meeting's new start and end, aware, in the site's zone."""
        zone = timezone.get_current_timezone()
        data = self.cleaned_data
        return (
            datetime.combine(data["day"], data["start_time"], tzinfo=zone),
            datetime.combine(data["day"], data["end_time"], tzinfo=zone),
        )
