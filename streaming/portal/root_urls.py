"""Recordings at the root of the site: /<slug>/recordings/…, /recordings/<uuid>/, /hls/…,
and sitemap.xml. Included before rooms.urls, whose /<slug> catches one-segment paths."""

from __future__ import annotations

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from streaming.portal import recording_views as views
from streaming.portal.sitemaps import SITEMAPS

app_name = "recordings"

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("<slug:slug>/recordings/", views.room_recordings, name="room"),
    path("<slug:slug>/recordings/start", views.recording_start, name="start"),
    path("<slug:slug>/recordings/<uuid:recording_id>/stop", views.recording_stop, name="stop"),
    path("recordings/<uuid:recording_id>/", views.recording_detail, name="detail"),
    path("recordings/<uuid:recording_id>/hls/<str:name>", views.recording_hls, name="hls"),
    path("recordings/<uuid:recording_id>/<str:name>", views.recording_file, name="file"),
    path("hls/<uuid:recording_id>/<str:name>", views.public_hls, name="public-hls"),
]
