"""Pages of identity: your API tokens, and a department's roster at /<department>/roster/."""

from __future__ import annotations

from django.urls import path

from identity import roster_views, views

app_name = "identity"

urlpatterns = [
    path("accounts/tokens/", views.tokens, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("<slug:slug>/roster/", roster_views.roster_upload, name="roster"),
    path("<slug:slug>/roster/<int:pk>/", roster_views.roster_preview, name="roster-preview"),
]
