"""Pages of the public watch page beside the live room (/<slug>/live/...)."""

from __future__ import annotations

from django.urls import path

from broadcasts import views

app_name = "webinar"

urlpatterns = [
    path("<slug:slug>/live/state", views.state, name="state"),
    path("<slug:slug>/live/questions/", views.questions, name="questions"),
]
