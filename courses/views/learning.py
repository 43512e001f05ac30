"""The teacher's pages: the quiz, the recording's player and its watch reports."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive.services.files import serve_file
from archive.services.paths import MP4, recording_directory
from courses.errors import CourseError
from courses.selectors import quiz_of, session_recording
from courses.services.progress import TooManyReports, quiz_attempt_submit, watch_report
from courses.views.common import enrolled_or_404, session_or_404

MAX_REPORT_BYTES = 8 * 1024


@login_required
@require_http_methods(["GET", "POST"])
def quiz_take(request: HttpRequest, pk: int) -> HttpResponse:
    """The teacher answers the quiz; each submission is an attempt, graded at once."""
    course, user = enrolled_or_404(request, pk)
    quiz = quiz_of(course)
    if quiz is None:
        raise Http404(_("This course has no quiz."))
    questions = list(quiz.questions.prefetch_related("choices"))
    if request.method == "POST":
        answers = {
            q.pk: frozenset(int(v) for v in request.POST.getlist(f"q{q.pk}") if v.isdigit())
            for q in questions
        }
        attempt = quiz_attempt_submit(quiz=quiz, user=user, answers=answers)
        if attempt.passed:
            messages.success(
                request, _("You passed the quiz with %(p).0f%%.") % {"p": attempt.percent}
            )
        else:
            messages.error(
                request,
                _("You scored %(p).0f%%; the pass mark is %(mark)d%%. You may try again.")
                % {"p": attempt.percent, "mark": quiz.pass_percent},
            )
        return redirect("courses:detail", course.pk)
    return render(
        request, "courses/quiz_take.html", {"course": course, "quiz": quiz, "questions": questions}
    )


@login_required
@require_GET
@never_cache
def watch(request: HttpRequest, pk: int, session_pk: int) -> HttpResponse:
    """The recording of a session, in a player that reports what the teacher watched."""
    course, _user = enrolled_or_404(request, pk)
    session = session_or_404(course, session_pk)
    recording = session_recording(session)
    if recording is None:
        raise Http404(_("This session has no recording yet."))
    return render(
        request,
        "courses/watch.html",
        {"course": course, "session": session, "recording": recording},
    )


@login_required
@require_GET
def video(request: HttpRequest, pk: int, session_pk: int) -> HttpResponseBase:
    """The session's recording (MP4) for the teachers the course takes."""
    course, _user = enrolled_or_404(request, pk)
    recording = session_recording(session_or_404(course, session_pk))
    if recording is None:
        raise Http404(_("This session has no recording yet."))
    return serve_file(request, recording_directory(recording.id) / MP4, public=False)


@require_POST
def watched(request: HttpRequest, pk: int, session_pk: int) -> JsonResponse:
    """The player's report: ``{"spans": [[from, to], …]}`` in seconds of the recording."""
    if not request.user.is_authenticated:
        return JsonResponse({"ok": False, "error": _("Sign in first.")}, status=403)
    course, user = enrolled_or_404(request, pk)
    session = session_or_404(course, session_pk)
    recording = session_recording(session)
    if recording is None:
        raise Http404(_("This session has no recording yet."))
    try:
        if len(request.body) > MAX_REPORT_BYTES:
            raise ValueError
        body = json.loads(request.body)
        spans = [(float(a), float(b)) for a, b in body["spans"]]
    except (ValueError, TypeError, KeyError):
        return JsonResponse({"ok": False, "error": _("The report cannot be read.")}, status=400)
    try:
        record = watch_report(
            session=session, user=user, spans=spans, duration_secs=recording.duration
        )
    except TooManyReports as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=429)
    except CourseError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    return JsonResponse({"ok": True, "seconds": round(record.seconds, 1)})
