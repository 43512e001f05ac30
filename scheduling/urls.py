"""Pages and feeds of scheduling."""

from __future__ import annotations

from django.urls import path

from scheduling import agenda_views, invitation_views, views

app_name = "scheduling"

urlpatterns = [
    path("calendar/", agenda_views.agenda, name="agenda"),
    path("calendar/feeds/renew/", agenda_views.feed_renew, name="feed-renew"),
    path("calendar/feeds/<str:token>.ics", agenda_views.private_feed, name="private-feed"),
    path("calendar/rooms/<slug:slug>.ics", views.room_feed, name="room-feed"),
    path("calendar/sessions/<str:uid>.ics", views.session_ics, name="session-ics"),
    path("<slug:slug>/calendar/", views.room_week, name="room-week"),
    path("<slug:slug>/calendar/month/", views.room_month, name="room-month"),
    path("<slug:slug>/sessions/new/", views.session_new, name="session-new"),
    path("<slug:slug>/sessions/<str:uid>/edit/", views.session_edit, name="session-edit"),
    path(
        "<slug:slug>/occurrences/<int:pk>/",
        invitation_views.occurrence_detail,
        name="occurrence",
    ),
    path(
        "<slug:slug>/occurrences/<int:pk>/attendance.csv",
        invitation_views.occurrence_attendance_csv,
        name="occurrence-csv",
    ),
    path(
        "<slug:slug>/occurrences/<int:pk>/attendance.pdf",
        invitation_views.occurrence_attendance_pdf,
        name="occurrence-pdf",
    ),
    path(
        "<slug:slug>/occurrences/<int:pk>/move/",
        invitation_views.occurrence_move_view,
        name="occurrence-move",
    ),
    path(
        "<slug:slug>/occurrences/<int:pk>/documents/",
        invitation_views.document_upload_view,
        name="document-upload",
    ),
    path("calendar/documents/<int:pk>/", invitation_views.document_download_view, name="document"),
    path("<slug:slug>/invitations/", invitation_views.site_invitations, name="site-invitations"),
    path(
        "<slug:slug>/invitations/<int:pk>/reply/",
        invitation_views.invitation_reply_view,
        name="invitation-reply",
    ),
    path(
        "<slug:slug>/invitations/<int:pk>/meetings/<int:occurrence_pk>/reply/",
        invitation_views.meeting_reply_view,
        name="meeting-reply",
    ),
    path("<slug:slug>/report/", invitation_views.unit_report, name="unit-report"),
    path("<slug:slug>/import/", invitation_views.ics_import_view, name="ics-import"),
    path(
        "<slug:slug>/occurrences/<int:pk>/cancel/",
        views.occurrence_cancel_view,
        name="occurrence-cancel",
    ),
]
