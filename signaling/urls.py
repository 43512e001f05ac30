"""Pages of live rooms: /<slug>/live/ and what it fetches."""

from __future__ import annotations

from django.urls import path

from signaling import views

app_name = "signaling"

urlpatterns = [
    path("<slug:slug>/live/", views.live_room, name="live"),
    path("<slug:slug>/live/token", views.join_token, name="token"),
    path("<slug:slug>/live/settings", views.live_settings, name="settings"),
    path("<slug:slug>/live/files/", views.file_upload, name="files"),
    path("<slug:slug>/live/files/<int:pk>", views.file_download, name="file"),
    path("<slug:slug>/live/slides/", views.slides_upload, name="slides"),
    path("<slug:slug>/live/slides/<int:deck>/<int:page>.png", views.slide_image, name="slide"),
]
