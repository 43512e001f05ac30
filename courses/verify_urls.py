"""The public check of a certificate: /verify/<code>."""

from __future__ import annotations

from django.urls import path

from courses.views import certificates

app_name = "verify"

urlpatterns = [
    path("<str:code>", certificates.verify, name="certificate"),
]
