"""The session form, with a recurrence picker people understand."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from rooms.models import Room, Unit
from scheduling.domain.recurrence import WEEKDAYS, Rule, RuleError, validate
from scheduling.errors import rule_error_message
from scheduling.models import RuleKind, SessionKind
from scheduling.services.invitations import RuleInput
from scheduling.services.sessions import SessionInput

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


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _day_field() -> forms.DateField:
    """The date of a meeting, with the browser's date picker."""
    return forms.DateField(label=_("Date"), widget=_date_input())


def _time_field(label: StrOrPromise) -> forms.TimeField:
    """A time of day (hours and minutes), with the browser's time picker."""
    return forms.TimeField(
        label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


def _check_end_after_start(form: forms.Form, data: dict[str, Any]) -> None:
    start, end = data.get("start_time"), data.get("end_time")
    if start and end and end <= start:
        form.add_error("end_time", _("The end must come after the start."))


def _moments(data: dict[str, Any]) -> tuple[datetime, datetime]:
    """The day's start and end times, aware, in the site's zone."""
    zone = timezone.get_current_timezone()
    day: date = data["day"]
    start: time = data["start_time"]
    end: time = data["end_time"]
    return datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone)


class SessionForm(forms.Form):
    """One session or a series: date, times, and how it repeats until when."""

    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    presenters = forms.CharField(label=_("Presenters"), required=False, max_length=500)
    day = _day_field()
    start_time = _time_field(_("Starts"))
    end_time = _time_field(_("Ends"))
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
        widget=_date_input(),
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
        _check_end_after_start(self, data)
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
        return _moments(self.cleaned_data)

    def session_input(self, *, room: Room, host_unit: Unit) -> SessionInput:
        """What the service schedules or changes: the form's session in ``room``."""
        data = self.cleaned_data
        start, end = self.moments()
        return SessionInput(
            room=room,
            host_unit=host_unit,
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            start=start,
            end=end,
            rule=data["rule"],
            public=data["public"],
            broadcast=data["broadcast"],
            presenters=data["presenters"],
        )


class MoveForm(forms.Form):
    """A new date and time (and optionally a title) for one meeting."""

    day = _day_field()
    start_time = _time_field(_("Starts"))
    end_time = _time_field(_("Ends"))
    title = forms.CharField(label=_("Title for this meeting only"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _check_end_after_start(self, data)
        return data

    def moments(self) -> tuple[datetime, datetime]:
        """The meeting's new start and end, aware, in the site's zone."""
        return _moments(self.cleaned_data)
