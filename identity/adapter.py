"""allauth's hooks: who may sign in through a provider, and into which account.

A sign-in through a provider ends in one of four ways (docs/signin.md):
- the address is outside the provider's (or the province's) domains: refused;
- the identity is linked to an account, or its verified address is that of exactly one
  account (which is then linked): signed in, unless the account is disabled;
- otherwise a sign-in request waits for an administrator, and a page says so.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.contrib.auth import login as django_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from identity import selectors
from identity.domain.emails import domain_allowed
from identity.models import RequestStatus
from identity.services.signin import signin_request_record

# Every provider account signs in through Django's own backend (axes' backend authenticates
# passwords only and cannot load a user for the session).
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refused(request: HttpRequest, reason: str, status: int = 403) -> ImmediateHttpResponse:
    response = render(request, "identity/signin_refused.html", {"reason": reason}, status=status)
    return ImmediateHttpResponse(response)


def _primary_email(sociallogin: SocialLogin) -> tuple[str, bool]:
    addresses = sorted(sociallogin.email_addresses, key=lambda a: not a.primary)
    if not addresses:
        return "", False
    return addresses[0].email, bool(addresses[0].verified)


class SignInAdapter(DefaultSocialAccountAdapter):
    """Links, refuses or queues a provider's sign-in before allauth acts on it."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        """Nobody makes an account by signing in; an administrator approves instead."""
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Apply the provider's domains, link by verified address, or queue the request."""
        policy = selectors.provider_policy(app=sociallogin.provider.app)
        email, verified = _primary_email(sociallogin)
        if policy.domains and not domain_allowed(email, policy.domains):
            raise _refused(request, "domain")
        if not sociallogin.is_existing:
            verified = verified or (policy.domains_verified and bool(policy.domains))
            user = selectors.account_by_official_email(email=email) if verified else None
            if user is not None and user.is_active:
                sociallogin.connect(request, user)
            elif user is not None:
                raise _refused(request, "disabled")
        if sociallogin.is_existing:
            if not sociallogin.user.is_active:
                raise _refused(request, "disabled")
            return
        self._queue(request, sociallogin, email, policy.department_id)

    def _queue(
        self, request: HttpRequest, sociallogin: SocialLogin, email: str, department_id: int | None
    ) -> None:
        account = sociallogin.account
        existing = selectors.signin_request_for(provider=account.provider, uid=account.uid)
        if existing is not None and existing.status == RequestStatus.REFUSED:
            raise _refused(request, "request_refused")
        user = sociallogin.user
        name = f"{user.first_name} {user.last_name}".strip() if user else ""
        signin_request_record(
            provider=account.provider,
            uid=account.uid,
            email=email,
            name=name,
            department_id=department_id,
        )
        response = render(request, "identity/signin_pending.html", {"email": email}, status=200)
        raise ImmediateHttpResponse(response)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account hooks: no sign-up, Django's backend, our refusal page."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Accounts are made by administrators and roster imports, never by visitors."""
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        """Sign the account in through ModelBackend (see SESSION_BACKEND)."""
        django_login(request, user, backend=SESSION_BACKEND)

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> HttpResponse:
        """A disabled account: our page, not allauth's (never reached: checked above)."""
        return render(request, "identity/signin_refused.html", {"reason": "disabled"}, status=403)
