"""Pages of training courses, under /courses/."""

from __future__ import annotations

from django.urls import path

from courses.views import certificates, learning, pages

app_name = "courses"

urlpatterns = [
    path("", pages.course_list, name="list"),
    path("new/", pages.course_new, name="new"),
    path("<int:pk>/", pages.course_detail, name="detail"),
    path("<int:pk>/edit/", pages.course_edit, name="edit"),
    path("<int:pk>/sessions/", pages.sessions_page, name="sessions"),
    path("<int:pk>/sessions/<int:session_pk>/remove/", pages.session_remove, name="session-remove"),
    path("<int:pk>/enrolment/", pages.enrolment_page, name="enrolment"),
    path("<int:pk>/rules/<int:rule_pk>/remove/", pages.rule_remove, name="rule-remove"),
    path("<int:pk>/quiz/edit/", pages.quiz_edit, name="quiz-edit"),
    path("<int:pk>/quiz/", learning.quiz_take, name="quiz"),
    path("<int:pk>/sessions/<int:session_pk>/watch/", learning.watch, name="watch"),
    path("<int:pk>/sessions/<int:session_pk>/video.mp4", learning.video, name="video"),
    path("<int:pk>/sessions/<int:session_pk>/watched", learning.watched, name="watched"),
    path("<int:pk>/certificate/", certificates.certificate_request, name="certificate-request"),
    path("<int:pk>/certificate.pdf", certificates.certificate_download, name="certificate"),
    path("<int:pk>/completion/", certificates.completion, name="completion"),
    path("<int:pk>/completion.csv", certificates.completion_csv, name="completion-csv"),
    path("<int:pk>/completion.pdf", certificates.completion_pdf_view, name="completion-pdf"),
]
