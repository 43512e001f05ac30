"""Pages and feeds of scheduling."""

from __future__ import annotations

from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("calendar/rooms/<slug:slug>.ics", views.room_feed, name="room-feed"),
    path("calendar/sessions/<str:uid>.ics", views.session_ics, name="session-ics"),
    path("<slug:slug>/calendar/", views.room_week, name="room-week"),
    path("<slug:slug>/sessions/new/", views.session_new, name="session-new"),
    path(
        "<slug:slug>/occurrences/<int:pk>/cancel/",
        views.occurrence_cancel_view,
        name="occurrence-cancel",
    ),
]
