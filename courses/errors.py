"""Errors of course services, worded for the person who must act on them."""

from __future__ import annotations


class CourseError(Exception):
    """Base class: the message is a sentence for the user."""


class NotEnrolled(CourseError):
    """The person does not take this course."""


class NotComplete(CourseError):
    """The teacher has not met the course's completion rule yet."""


class InvalidQuiz(CourseError):
    """The organiser's questions cannot be read."""
