"""Routes of the /api/ prefix owned by scheduling."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from scheduling import apis

app_name = "scheduling-api"

router = SimpleRouter()
router.register("sessions", apis.SessionViewSet, basename="session")
router.register("occurrences", apis.OccurrenceViewSet, basename="occurrence")
router.register("invitations", apis.InvitationViewSet, basename="invitation")
router.register("attendance", apis.AttendanceViewSet, basename="attendance")

urlpatterns = [path("", include(router.urls))]
