"""Root URL configuration: fixed prefixes first, the room pages (/<slug>) last."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from identity.views import SignInView
from meet import health, metrics, source, views_live

admin.site.site_header = "meet"
admin.site.site_title = "meet"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    # Prometheus, for the operator's addresses or token only (meet/metrics.py).
    path("metrics", metrics.metrics, name="metrics"),
    # The program's own source, where the footer links unless MEET_SOURCE_URL says otherwise.
    path("source/", source.source, name="source"),
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Sign-in through Microsoft 365, Google and other OpenID Connect providers (identity/).
    path("accounts/", include("identity.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split: the page and its start-up script are two responses, so no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("api/", include("rooms.api_urls")),
    path("api/", include("scheduling.api_urls")),
    path("competitions/", include("competitions.urls")),
    path("courses/", include("courses.urls")),
    # Anyone checks a course certificate by its code (courses/views/certificates.py).
    path("verify/", include("courses.verify_urls")),
    path("", include("scheduling.urls")),
    # Your API tokens; a department's teacher roster from the sector database (identity/).
    path("", include("identity.page_urls")),
    # During a broadcast /<slug>/live/ is the public watch page (meet/views_live.py); the
    # name signaling:live still reverses to the same address.
    path("<slug:slug>/live/", views_live.live, name="live-or-watch"),
    path("", include("broadcasts.urls")),
    path("", include("signaling.urls")),
    path("portal/", include("archive.portal.urls")),
    path("", include("archive.portal.root_urls")),
    # Last: /<slug> catches every other one-segment path.
    path("", include("rooms.urls")),
]
