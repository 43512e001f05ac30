"""Sign-in through providers: allauth's provider views and our two end pages, no more.

allauth's own password, sign-up and e-mail pages are not routed: passwords stay with
Django's sign-in page (unit logins, C53 Art. 18.1) and accounts are made by administrators.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from allauth.socialaccount.models import SocialApp
from allauth.urls import build_provider_urlpatterns
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from identity import views


def _not_found_without_app(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except SocialApp.DoesNotExist:
            # Microsoft's and Google's views raise it when the deployment has no such app.
            raise Http404 from None

    return wrapped


# Google One Tap posts a credential from Google's script: not a flow meet offers.
UNROUTED = frozenset({"google_login_by_token"})


def _provider_urls(patterns: list[Any]) -> list[Any]:
    patterns[:] = [p for p in patterns if getattr(p, "name", None) not in UNROUTED]
    for entry in patterns:
        if isinstance(entry, URLResolver):
            _provider_urls(entry.url_patterns)
        elif isinstance(entry, URLPattern):
            entry.callback = _not_found_without_app(entry.callback)
    return patterns


urlpatterns = [
    # allauth redirects here by these names; its own views would link its password pages.
    path("login/cancelled/", views.signin_cancelled, name="socialaccount_login_cancelled"),
    path("login/error/", views.signin_failed, name="socialaccount_login_error"),
    *_provider_urls(build_provider_urlpatterns()),
]
