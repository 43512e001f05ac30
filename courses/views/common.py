"""What every course page needs: the course, or the answer that says why not."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from courses.models import Course, CourseSession
from courses.permissions import can_organise
from courses.selectors import course_get, is_enrolled


def _course(pk: int) -> Course:
    course = course_get(pk=pk)
    if course is None:
        raise Http404(_("There is no such course."))
    return course


def visible_or_404(request: HttpRequest, pk: int) -> Course:
    """The course for its organisers and the teachers it takes; a 404 to everyone else."""
    course = _course(pk)
    if not (can_organise(request.user, course) or is_enrolled(request.user, course)):
        raise Http404(_("There is no such course."))
    return course


def organised_or_404(request: HttpRequest, pk: int) -> Course:
    """The course for its organisers only (teachers too get a 404: nothing to see here)."""
    course = _course(pk)
    if not can_organise(request.user, course):
        raise Http404(_("There is no such course."))
    return course


def enrolled_or_404(request: HttpRequest, pk: int) -> tuple[Course, User]:
    """The course and the teacher, for a signed-in person the course takes."""
    course = _course(pk)
    if not isinstance(request.user, User) or not is_enrolled(request.user, course):
        raise Http404(_("There is no such course."))
    return course, request.user


def session_or_404(course: Course, session_pk: int) -> CourseSession:
    """One of the course's sessions."""
    session = course.sessions.select_related("occurrence").filter(pk=session_pk).first()
    if session is None:
        raise Http404(_("There is no such session in this course."))
    return session
