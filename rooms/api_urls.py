"""Routes of the /api/ prefix owned by rooms."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from rooms import apis

app_name = "api"

router = DefaultRouter()
router.register("units", apis.UnitViewSet, basename="unit")
router.register("rooms", apis.RoomViewSet, basename="room")

urlpatterns = [
    path("", include(router.urls)),
    path("sites/", apis.SiteList.as_view(), name="site-list"),
    path("sites/<slug:slug>/", apis.SiteDetail.as_view(), name="site-detail"),
    path("sites/<slug:slug>/equipment/", apis.EquipmentList.as_view(), name="site-equipment"),
    path(
        "sites/<slug:slug>/equipment/<int:item_id>/",
        apis.EquipmentDetail.as_view(),
        name="site-equipment-item",
    ),
    path(
        "sites/<slug:slug>/device-tests/",
        apis.DeviceTestList.as_view(),
        name="site-device-tests",
    ),
    path("selftest/ping", apis.SelfTestPing.as_view(), name="selftest-ping"),
    path("selftest/download", apis.SelfTestDownload.as_view(), name="selftest-download"),
]
