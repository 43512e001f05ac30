"""Pages of rooms: the directory, sites overview, and each room at /<slug>."""

from __future__ import annotations

from django.urls import path

from rooms import views

app_name = "rooms"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("sites/", views.sites_overview, name="sites"),
    # The room's address must be exactly /<slug> (C53 Art. 18.1), so no trailing slash.
    path("<slug:slug>", views.room_detail, name="room"),
    path("<slug:slug>/equipment/", views.equipment_edit, name="equipment"),
    path("<slug:slug>/selftest/", views.selftest, name="selftest"),
]
