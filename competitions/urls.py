"""Pages of competitions, under /competitions/."""

from __future__ import annotations

from django.urls import path

from competitions.views import registration, scoring, setup, timetable

app_name = "competitions"

urlpatterns = [
    path("", setup.competition_list, name="list"),
    path("new/", setup.competition_new, name="new"),
    path("<int:pk>/", setup.competition_detail, name="detail"),
    path("<int:pk>/edit/", setup.competition_edit, name="edit"),
    path("<int:pk>/rubric/", setup.rubric_edit, name="rubric"),
    path("<int:pk>/steps/<str:step>/", setup.stage_step, name="step"),
    path("<int:pk>/panels/", setup.panels, name="panels"),
    path("<int:pk>/panels/<int:juror_pk>/remove/", setup.juror_remove_view, name="juror-remove"),
    path("<int:pk>/register/", registration.register, name="register"),
    path("<int:pk>/contestants/", registration.contestants, name="contestants"),
    path(
        "<int:pk>/contestants/<int:contestant_pk>/withdraw/",
        registration.withdraw,
        name="withdraw",
    ),
    path("<int:pk>/documents/<int:document_pk>/", registration.document, name="document"),
    path("<int:pk>/timetable/", timetable.timetable_page, name="timetable"),
    path("<int:pk>/timetable/make/", timetable.timetable_make, name="timetable-make"),
    path("<int:pk>/slots/<int:slot_pk>/move/", timetable.slot_move_view, name="slot-move"),
    path("<int:pk>/jury/", scoring.jury, name="jury"),
    path("<int:pk>/score/<int:contestant_pk>/", scoring.score, name="score"),
    path("<int:pk>/sheets/<int:sheet_pk>/reopen/", scoring.reopen, name="reopen"),
    path("<int:pk>/results/", scoring.results_page, name="results"),
    path("<int:pk>/results.csv", scoring.results_csv, name="results-csv"),
    path("<int:pk>/results.pdf", scoring.results_pdf_view, name="results-pdf"),
]
