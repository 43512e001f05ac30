"""Reads of identity: providers' policies, the sign-in buttons, accounts by e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext as _

from identity.domain.emails import parse_domains
from identity.models import AccessToken, SignInRequest, SignInScope

# Where the browser is sent to sign in, per provider kind (the page's form-action must name
# it: a form's redirect to another origin is blocked otherwise).
PROVIDER_ORIGINS = {
    "microsoft": "https://login.microsoftonline.com",
    "google": "https://accounts.google.com",
}


@dataclass(frozen=True)
class ProviderPolicy:
    """The domains a provider accepts and whether it vouches for them."""

    domains: tuple[str, ...]
    domains_verified: bool
    department_id: int | None


@dataclass(frozen=True)
class SignInButton:
    label: str
    url: str
    origin: str


def provider_policy(*, app: SocialApp) -> ProviderPolicy:
    """A provider's policy: its scope in the admin, or its settings from the deployment."""
    if app.pk is not None:
        scope = SignInScope.objects.filter(app_id=app.pk).first()
        if scope is not None:
            return ProviderPolicy(
                domains=parse_domains(scope.allowed_domains),
                domains_verified=scope.domains_verified,
                department_id=scope.department_id,
            )
    domains = app.settings.get("allowed_domains") or []
    return ProviderPolicy(
        domains=parse_domains(" ".join(str(domain) for domain in domains)),
        domains_verified=bool(app.settings.get("domains_verified", False)),
        department_id=None,
    )


def _label(app: SocialApp) -> str:
    if app.provider == "microsoft":
        return _("Sign in with Microsoft 365")
    if app.provider == "google":
        return _("Sign in with Google")
    return _("Sign in with %(name)s") % {"name": app.name}


def _origin(app: SocialApp) -> str:
    if app.provider in PROVIDER_ORIGINS:
        return PROVIDER_ORIGINS[app.provider]
    parts = urlsplit(str(app.settings.get("server_url", "")))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def signin_buttons(*, request: HttpRequest) -> list[SignInButton]:
    """One button per provider of the deployment and of the departments, by label."""
    adapter = get_adapter(request)
    buttons = []
    for app in adapter.list_apps(request):
        if app.settings.get("hidden"):
            continue
        provider = app.get_provider(request)
        url = provider.get_login_url(request, process="login")
        buttons.append(SignInButton(label=_label(app), url=url, origin=_origin(app)))
    return sorted(buttons, key=lambda button: button.label)


def account_by_official_email(*, email: str) -> User | None:
    """The one account with this e-mail address; None when none or several have it."""
    if not email:
        return None
    users = list(User.objects.filter(email__iexact=email).order_by("pk")[:2])
    return users[0] if len(users) == 1 else None


def signin_request_for(*, provider: str, uid: str) -> SignInRequest | None:
    """The request a person's first sign-in left, if any."""
    return SignInRequest.objects.filter(provider=provider, uid=uid).first()


def access_tokens(*, user: User) -> list[AccessToken]:
    """A person's tokens, active first, newest first."""
    return list(AccessToken.objects.filter(user=user).order_by("-revoked_at", "-created_at"))
