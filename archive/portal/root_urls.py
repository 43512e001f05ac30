"""Recordings at the root of the site: /<slug>/recordings/…, /recordings/<uuid>/, /hls/…,
and sitemap.xml. Included before rooms.urls, whose /<slug> catches one-segment paths."""

from __future__ import annotations

import uuid

from django.contrib.sitemaps.views import sitemap
from django.urls import path, register_converter

from archive.portal import recording_views as views
from archive.portal.sitemaps import SITEMAPS

app_name = "recordings"


class RecordingIdConverter:
    """A recording's id with dashes, or as its folder is named (32 hex digits: the
    address the watch page and the worker's playlists use)."""

    regex = "[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"

    def to_python(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_url(self, value: uuid.UUID | str) -> str:
        return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


register_converter(RecordingIdConverter, "recording")

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("<slug:slug>/recordings/", views.room_recordings, name="room"),
    path("<slug:slug>/recordings/start", views.recording_start, name="start"),
    path("<slug:slug>/recordings/<recording:recording_id>/stop", views.recording_stop, name="stop"),
    path("recordings/<recording:recording_id>/", views.recording_detail, name="detail"),
    path("recordings/<recording:recording_id>/hls/<str:name>", views.recording_hls, name="hls"),
    path("recordings/<recording:recording_id>/<str:name>", views.recording_file, name="file"),
    path("hls/<recording:recording_id>/<str:name>", views.public_hls, name="public-hls"),
]
