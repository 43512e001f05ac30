"""Teachers' writes: what the player watched, a quiz attempt."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.domain import quiz as quiz_rules
from courses.domain.intervals import Span, admit, covered
from courses.errors import CourseError
from courses.models import CourseSession, Quiz, QuizAttempt, WatchRecord
from realtime.ratelimit import Rate, get_store

MAX_SPANS_PER_REPORT = 50
# A player may run at twice the normal speed; reports come every 15 s, give or take.
MAX_PLAYBACK_RATE = 2.0
REPORT_SLACK_SECS = 40.0


def watch_report_rate() -> Rate:
    """How often one person may report (``MEET_COURSE_WATCH_RATE``: every_secs, burst)."""
    every, burst = getattr(settings, "MEET_COURSE_WATCH_RATE", (5.0, 6))
    return Rate(every_secs=float(every), burst=int(burst))


class TooManyReports(CourseError):
    """The player reported faster than any player does."""


def _checked(spans: list[tuple[float, float]], duration_secs: float) -> list[Span]:
    if len(spans) > MAX_SPANS_PER_REPORT:
        raise CourseError(_("The report holds too many parts."))
    result = []
    for start, end in spans:
        if not (0 <= start < end <= duration_secs + 1):
            raise CourseError(_("The report names a part outside the recording."))
        result.append(Span(start, end))
    return result


@transaction.atomic
def watch_report(
    *, session: CourseSession, user: User, spans: list[tuple[float, float]], duration_secs: float
) -> WatchRecord:
    """Add the parts of the recording the player played, merged with those already counted;
    never more new time than the wall clock since the last report allows."""
    if get_store().spend(f"course-watch:user:{user.pk}", watch_report_rate()) > 0:
        raise TooManyReports(_("The player reported too often; wait a moment."))
    new = _checked(spans, duration_secs)
    record, created = WatchRecord.objects.select_for_update().get_or_create(
        session=session, user=user
    )
    now = timezone.now()
    since = 0.0 if created else (now - record.updated_at).total_seconds()
    allowance = MAX_PLAYBACK_RATE * since + REPORT_SLACK_SECS
    kept = admit([Span(a, b) for a, b in record.spans], new, allowance)
    record.spans = [[s.start, s.end] for s in kept]
    record.seconds = covered(kept)
    record.save()
    return record


def quiz_attempt_submit(
    *, quiz: Quiz, user: User, answers: Mapping[int, frozenset[int]]
) -> QuizAttempt:
    """Grade and keep an attempt; answers map question ids to chosen choice ids."""
    key: dict[int, frozenset[int]] = {}
    for question in quiz.questions.prefetch_related("choices"):
        key[question.pk] = frozenset(c.pk for c in question.choices.all() if c.correct)
    given = {q: frozenset(c) for q, c in answers.items() if q in key}
    percent = quiz_rules.grade(key, given)
    return QuizAttempt.objects.create(
        quiz=quiz,
        user=user,
        answers={str(q): sorted(c) for q, c in given.items()},
        percent=percent,
        passed=quiz_rules.passed(percent, quiz.pass_percent),
    )
