"""Course pages: the list, a new course, its overview, sessions, enrolment and quiz setup."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.domain import quiz as quiz_rules
from courses.errors import CourseError
from courses.forms import CourseForm, InviteForm, QuizForm, RuleForm, SessionForm
from courses.models import EnrolmentRule
from courses.permissions import can_organise
from courses.selectors import (
    certificate_of,
    courses_visible,
    enrolled_users,
    is_enrolled,
    progress_of,
    quiz_of,
    session_recording,
    sessions_of,
)
from courses.services.setup import (
    course_create,
    course_invite,
    course_session_add,
    course_session_remove,
    course_update,
    enrolment_rule_add,
    enrolment_rule_remove,
    quiz_save,
)
from courses.views.common import organised_or_404, session_or_404, visible_or_404
from rooms.models import Unit
from rooms.permissions import organising_units


@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    """The courses a person organises or takes."""
    return render(
        request,
        "courses/list.html",
        {
            "courses": courses_visible(viewer=request.user),
            "may_create": organising_units(request.user).exists(),
        },
    )


@login_required
def course_new(request: HttpRequest) -> HttpResponse:
    """An organising unit starts a course."""
    units = organising_units(request.user)
    if not units.exists():
        raise PermissionDenied(
            _("Only the manager of a department's or an office's room may organise a course.")
        )
    form = CourseForm(request.POST or None, units=units, initial={"organiser": units.first()})
    if request.method == "POST" and form.is_valid():
        course = course_create(data=form.to_input(), by=request.user)  # type: ignore[arg-type]
        messages.success(request, _("The course was created. Add its sessions."))
        return redirect("courses:sessions", course.pk)
    return render(request, "courses/form.html", {"form": form})


@login_required
def course_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser changes the course's settings, its completion share among them."""
    course = organised_or_404(request, pk)
    # The unit it has, even for an administrator of another province's course.
    units = organising_units(request.user) | Unit.objects.filter(pk=course.organiser_id)
    initial = {
        "organiser": course.organiser,
        "title": course.title,
        "description": course.description,
        "hours": course.hours,
        "min_percent": course.min_percent,
    }
    form = CourseForm(request.POST or None, units=units.distinct(), initial=initial)
    if request.method == "POST" and form.is_valid():
        course_update(course=course, data=form.to_input())
        messages.success(request, _("The course was saved."))
        return redirect("courses:detail", course.pk)
    return render(request, "courses/form.html", {"form": form, "course": course})


@login_required
def course_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The course's sessions and, for a teacher, their progress and certificate."""
    course = visible_or_404(request, pk)
    sessions = sessions_of(course)
    enrolled = is_enrolled(request.user, course)
    progress = progress_of(course, request.user) if enrolled else None  # type: ignore[arg-type]
    rows = [
        {
            "session": s,
            "recording": session_recording(s),
            "share": progress.shares[i] if progress is not None else None,
        }
        for i, s in enumerate(sessions)
    ]
    return render(
        request,
        "courses/detail.html",
        {
            "course": course,
            "rows": rows,
            "progress": progress,
            "enrolled": enrolled,
            "organiser": can_organise(request.user, course),
            "quiz": quiz_of(course),
            "certificate": certificate_of(course, request.user),
        },
    )


@login_required
def sessions_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser adds meetings of the scheduler to the course."""
    course = organised_or_404(request, pk)
    form = SessionForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            course_session_add(course=course, occurrence=form.cleaned_data["occurrence"])
        except CourseError as exc:
            messages.error(request, str(exc))
        return redirect("courses:sessions", course.pk)
    return render(
        request,
        "courses/sessions.html",
        {"course": course, "sessions": sessions_of(course), "form": form},
    )


@login_required
@require_POST
def session_remove(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    """The organiser takes a meeting out of the course."""
    course = organised_or_404(request, pk)
    course_session_remove(session=session_or_404(course, session_pk))
    return redirect("courses:sessions", course.pk)


@login_required
def enrolment_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Who takes the course: rules over the roster, invitations, and the resulting list."""
    course = organised_or_404(request, pk)
    rule_form = RuleForm(request.POST if "rule" in request.POST else None, course=course)
    invite_form = InviteForm(request.POST if "invite" in request.POST else None)
    if request.method == "POST":
        if rule_form.is_bound and rule_form.is_valid():
            d = rule_form.cleaned_data
            try:
                enrolment_rule_add(
                    course=course,
                    unit=d["unit"],
                    province=d["province"],
                    level=d["level"],
                    subject=d["subject"],
                )
                return redirect("courses:enrolment", course.pk)
            except CourseError as exc:
                rule_form.add_error(None, str(exc))
        elif invite_form.is_bound and invite_form.is_valid():
            course_invite(course=course, user=invite_form.cleaned_data["who"])
            return redirect("courses:enrolment", course.pk)
    return render(
        request,
        "courses/enrolment.html",
        {
            "course": course,
            "rules": course.rules.select_related("unit", "province"),
            "invitations": course.invitations.select_related("user"),
            "people": enrolled_users(course)[:500],
            "rule_form": rule_form,
            "invite_form": invite_form,
        },
    )


@login_required
@require_POST
def rule_remove(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    """The organiser removes an enrolment rule."""
    course = organised_or_404(request, pk)
    enrolment_rule_remove(rule=get_object_or_404(EnrolmentRule, pk=rule_pk, course=course))
    return redirect("courses:enrolment", course.pk)


@login_required
def quiz_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser writes the quiz's questions and sets its pass mark."""
    course = organised_or_404(request, pk)
    quiz = quiz_of(course)
    initial: dict[str, object] = {"pass_percent": 70, "required": True}
    if quiz is not None:
        questions = tuple(
            quiz_rules.Question(
                q.text,
                tuple(c.text for c in q.choices.all()),
                frozenset(i for i, c in enumerate(q.choices.all()) if c.correct),
            )
            for q in quiz.questions.prefetch_related("choices")
        )
        initial = {
            "text": quiz_rules.unparse(questions),
            "pass_percent": quiz.pass_percent,
            "required": quiz.required,
        }
    form = QuizForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            quiz_save(
                course=course,
                text=form.cleaned_data["text"],
                pass_percent=form.cleaned_data["pass_percent"],
                required=form.cleaned_data["required"],
            )
            messages.success(request, _("The quiz was saved."))
            return redirect("courses:detail", course.pk)
        except CourseError as exc:
            form.add_error("text", str(exc))
    return render(request, "courses/quiz_edit.html", {"course": course, "form": form})
