"""Pages of identity: the sign-in page with the providers' buttons, your API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from identity import selectors
from identity.errors import IdentityError
from identity.models import TokenScope
from identity.services.tokens import access_token_create, access_token_revoke


class SignInView(LoginView):
    """Django's sign-in (unit logins and passwords) with one button per provider."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["signin_buttons"] = selectors.signin_buttons(request=self.request)
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response = super().render_to_response(context, **kwargs)
        origins = sorted({b.origin for b in context["signin_buttons"] if b.origin})
        if origins:
            # The button's form posts here and is redirected to the provider: CSP's
            # form-action follows redirects, so the provider's origin is named on this page.
            response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
        return response


def signin_cancelled(request: HttpRequest) -> HttpResponse:
    """Where a person who cancelled at the provider lands."""
    return render(request, "socialaccount/login_cancelled.html")


def signin_failed(request: HttpRequest) -> HttpResponse:
    """Where a sign-in that failed at the provider or in its answer lands."""
    return render(request, "socialaccount/authentication_error.html", status=401)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """Your access tokens for the REST API; a new one is shown on this page once."""
    assert isinstance(request.user, User)
    created, error = "", ""
    if request.method == "POST":
        try:
            _record, created = access_token_create(
                user=request.user,
                name=request.POST.get("name", ""),
                scope=request.POST.get("scope", ""),
            )
        except IdentityError as failure:
            error = str(failure)
    context = {
        "tokens": selectors.access_tokens(user=request.user),
        "created": created,
        "error": error,
        "scopes": TokenScope.choices,
    }
    response = render(request, "identity/tokens.html", context, status=400 if error else 200)
    # The new token is in this page only: no cache may keep it.
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of your tokens: the systems that use it are refused from now on."""
    assert isinstance(request.user, User)
    try:
        access_token_revoke(user=request.user, token_id=pk)
    except IdentityError as failure:
        messages.error(request, str(failure))
    else:
        messages.success(request, _("The token is revoked."))
    return redirect("identity:tokens")
