"""Certificates: issued once to a teacher who completed the course, with a random code."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from courses.domain.codes import CODE_CHARS, encode
from courses.errors import NotComplete, NotEnrolled
from courses.models import Certificate, Course
from courses.selectors import certificate_of, is_enrolled, progress_of
from identity.models import Teacher


def new_code() -> str:
    """A fresh verification code: 100 random bits."""
    return encode(secrets.randbits(5 * CODE_CHARS))


def certificate_issue(*, course: Course, user: User) -> Certificate:
    """The teacher's certificate, issued now if they completed the course (once: later
    calls return the same one)."""
    existing = certificate_of(course, user)
    if existing is not None:
        return existing
    if not is_enrolled(user, course):
        raise NotEnrolled(_("You do not take this course."))
    if not progress_of(course, user).complete:
        raise NotComplete(_("You have not completed this course yet."))
    teacher = Teacher.objects.select_related("unit").filter(user=user).first()
    try:
        with transaction.atomic():
            return Certificate.objects.create(
                course=course,
                user=user,
                code=new_code(),
                teacher_name=user.get_full_name() or user.get_username(),
                school_name=teacher.unit.name if teacher is not None else "",
                course_title=course.title,
                organiser_name=course.organiser.name,
                hours=course.hours,
            )
    except IntegrityError:  # a second click raced the first
        certificate = certificate_of(course, user)
        if certificate is None:
            raise
        return certificate
