"""Sign-in through an OpenID Connect provider (issue 16), against a real provider on loopback.

The provider is oidc-provider-mock with PKCE enforced (tests/oidc_provider.py): discovery,
the authorization page, RS256 ID tokens and userinfo are its own. The person "picks
themselves" on its page with a plain HTTP form post, as a browser would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.auth.models import User
from django.test import Client

from identity.models import RequestStatus, SignInRequest, SignInScope
from identity.services.signin import signin_request_approve, signin_request_refuse
from meet.env import env_signin_providers
from rooms.models import Unit, UnitKind
from tests.oidc_provider import Provider, running_provider

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


def configure(settings, monkeypatch, provider: Provider, **extra: object) -> None:
    """The deployment's providers as an operator writes them in MEET_SIGNIN_PROVIDERS."""
    item = {
        "provider": "openid_connect",
        "id": "keycloak",
        "name": "Keycloak Hà Nội",
        "client_id": "meet",
        "secret": "secret",
        "server_url": provider.url,
        **extra,
    }
    monkeypatch.setenv("MEET_SIGNIN_PROVIDERS", json.dumps([item]))
    settings.SOCIALACCOUNT_PROVIDERS = env_signin_providers("MEET_SIGNIN_PROVIDERS")


def sign_in(client: Client, sub: str, provider_id: str = "keycloak", next_path: str = "/hanoi"):
    """Press the button, pick ``sub`` on the provider's page, follow it back."""
    start = client.post(f"/accounts/oidc/{provider_id}/login/", {"next": next_path})
    assert start.status_code == 302, start.content[:500]
    picked = requests.post(start["Location"], data={"sub": sub}, allow_redirects=False, timeout=5)
    assert picked.status_code == 302, picked.text[:500]
    back = urlsplit(picked.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def signed_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_discovery_and_code_flow_with_pkce_link_a_verified_address(
    settings, monkeypatch, provider: Provider
) -> None:
    configure(settings, monkeypatch, provider)
    teacher = User.objects.create_user("nguyen.an", email="nguyen.an@hanoi.edu.vn")
    provider.user("sub-an", email="Nguyen.An@hanoi.edu.vn", email_verified=True, name="An")
    client = Client()

    response = sign_in(client, "sub-an")

    assert response.status_code == 302 and response["Location"] == "/hanoi"
    assert signed_in_user(client) == teacher
    # The authorization endpoint came from discovery, with an S256 challenge, and the
    # token request carried the verifier that hashes to it (or the provider refused it).
    request = provider.pkce.authorize_requests[-1]
    assert request["code_challenge_method"] == "S256"
    assert request["response_type"] == "code" and "openid" in request["scope"].split()
    assert provider.pkce.verified >= 1
    link = SocialAccount.objects.get(user=teacher)
    assert (link.provider, link.uid) == ("keycloak", "sub-an")

    # The second time the link is used, whatever the address says now.
    provider.user("sub-an", email="an.moi@hanoi.edu.vn", email_verified=True)
    client = Client()
    assert sign_in(client, "sub-an").status_code == 302
    assert signed_in_user(client) == teacher


def test_an_id_token_from_another_issuer_is_refused(settings, monkeypatch, provider) -> None:
    configure(settings, monkeypatch, provider)
    # Discovery names an issuer the ID token does not carry: validation must fail.
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    app["settings"]["openid_configuration_overrides"] = {"issuer": "https://elsewhere.example"}
    User.objects.create_user("tran.binh", email="tran.binh@hanoi.edu.vn")
    provider.user("sub-binh", email="tran.binh@hanoi.edu.vn", email_verified=True)
    client = Client()

    response = sign_in(client, "sub-binh")

    assert response.status_code == 401
    assert "Đăng nhập bị từ chối" in response.content.decode()
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists()


def test_an_address_outside_the_allowed_domains_is_refused(settings, monkeypatch, provider) -> None:
    configure(settings, monkeypatch, provider, domains=["hanoi.edu.vn"])
    User.objects.create_user("le.chi", email="le.chi@gmail.com")
    provider.user("sub-chi", email="le.chi@gmail.com", email_verified=True)
    client = Client()

    response = sign_in(client, "sub-chi")

    assert response.status_code == 403
    assert "không thuộc tên miền được phép" in response.content.decode()
    assert signed_in_user(client) is None
    assert not SocialAccount.objects.exists() and not SignInRequest.objects.exists()


def test_an_unverified_address_waits_for_approval_then_signs_in(
    settings, monkeypatch, provider
) -> None:
    configure(settings, monkeypatch, provider)
    teacher = User.objects.create_user("pham.dung", email="pham.dung@hanoi.edu.vn")
    provider.user("sub-dung", email="pham.dung@hanoi.edu.vn", email_verified=False, name="Dung")
    client = Client()

    response = sign_in(client, "sub-dung")

    assert response.status_code == 200
    assert "Đang chờ phê duyệt" in response.content.decode()
    assert signed_in_user(client) is None and not SocialAccount.objects.exists()
    request = SignInRequest.objects.get()
    assert (request.provider, request.uid, request.email) == (
        "keycloak",
        "sub-dung",
        "pham.dung@hanoi.edu.vn",
    )
    # Signing in again before a decision keeps one request.
    sign_in(Client(), "sub-dung")
    assert SignInRequest.objects.count() == 1

    admin = User.objects.create_superuser("admin", password="x")
    request.user = teacher
    request.save()
    assert signin_request_approve(sign_in_request=request, decided_by=admin) == teacher
    client = Client()
    assert sign_in(client, "sub-dung").status_code == 302
    assert signed_in_user(client) == teacher


def test_an_approved_stranger_gets_a_new_account_without_a_password(
    settings, monkeypatch, provider
) -> None:
    configure(settings, monkeypatch, provider)
    provider.user("sub-moi", email="gv.moi@hanoi.edu.vn", email_verified=True, name="Giáo viên")
    sign_in(Client(), "sub-moi")
    request = SignInRequest.objects.get(uid="sub-moi")

    user = signin_request_approve(
        sign_in_request=request, decided_by=User.objects.create_superuser("admin", password="x")
    )

    assert user.username == "gv.moi" and user.email == "gv.moi@hanoi.edu.vn"
    assert not user.has_usable_password()
    client = Client()
    sign_in(client, "sub-moi")
    assert signed_in_user(client) == user


def test_a_refused_request_is_told_so(settings, monkeypatch, provider) -> None:
    configure(settings, monkeypatch, provider)
    provider.user("sub-x", email="x@hanoi.edu.vn", email_verified=True)
    sign_in(Client(), "sub-x")
    admin = User.objects.create_superuser("admin", password="x")
    signin_request_refuse(sign_in_request=SignInRequest.objects.get(), decided_by=admin)

    response = sign_in(Client(), "sub-x")

    assert response.status_code == 403
    assert SignInRequest.objects.get().status == RequestStatus.REFUSED


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "by-address"])
def test_a_disabled_account_is_refused(settings, monkeypatch, provider, linked: bool) -> None:
    configure(settings, monkeypatch, provider)
    teacher = User.objects.create_user("vo.em", email="vo.em@hanoi.edu.vn", is_active=False)
    if linked:
        SocialAccount.objects.create(user=teacher, provider="keycloak", uid="sub-em")
    provider.user("sub-em", email="vo.em@hanoi.edu.vn", email_verified=True)
    client = Client()

    response = sign_in(client, "sub-em")

    assert response.status_code == 403
    assert "Tài khoản này đã bị khoá" in response.content.decode()
    assert signed_in_user(client) is None
    assert SocialAccount.objects.filter(user=teacher).count() == (1 if linked else 0)


def test_a_department_provider_keeps_to_its_domains_and_names_its_department(
    settings, monkeypatch, provider, directory
) -> None:
    configure(settings, monkeypatch, provider)  # the deployment's own, beside it
    hanoi = Unit.objects.get(kind=UnitKind.DEPARTMENT, slug="hanoi")
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id="keycloak-hanoi",
        name="Sở GD&ĐT Hà Nội",
        client_id="meet-hanoi",
        secret="s",
        settings={"server_url": provider.url},
    )
    SignInScope.objects.create(app=app, department=hanoi, allowed_domains="hanoi.edu.vn\n")
    provider.user("sub-g", email="g@gmail.com", email_verified=True)
    provider.user("sub-h", email="h@c3.hanoi.edu.vn", email_verified=True)

    assert sign_in(Client(), "sub-g", provider_id="keycloak-hanoi").status_code == 403
    assert sign_in(Client(), "sub-h", provider_id="keycloak-hanoi").status_code == 200

    request = SignInRequest.objects.get()
    assert (request.email, request.department, request.provider) == (
        "h@c3.hanoi.edu.vn",
        hanoi,
        "keycloak-hanoi",
    )


def test_a_tenant_that_owns_its_domains_vouches_for_their_addresses(
    settings, monkeypatch, provider
) -> None:
    """Microsoft 365 sends no email_verified: a tenant's own domains count as verified."""
    configure(settings, monkeypatch, provider, domains=["hanoi.edu.vn"], domains_verified=True)
    teacher = User.objects.create_user("do.giang", email="do.giang@hanoi.edu.vn")
    provider.user("sub-giang", email="do.giang@hanoi.edu.vn")
    client = Client()

    sign_in(client, "sub-giang")

    assert signed_in_user(client) == teacher


def test_the_sign_in_page_has_a_button_per_provider_and_unit_logins_still_work(
    settings, monkeypatch, provider
) -> None:
    items = [
        {"provider": "microsoft", "client_id": "m", "secret": "s", "tenant": "organizations"},
        {"provider": "google", "client_id": "g", "secret": "s"},
        {"id": "keycloak", "name": "Keycloak Hà Nội", "client_id": "k", "server_url": provider.url},
    ]
    monkeypatch.setenv("MEET_SIGNIN_PROVIDERS", json.dumps(items))
    settings.SOCIALACCOUNT_PROVIDERS = env_signin_providers("MEET_SIGNIN_PROVIDERS")
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")

    page = client.get("/accounts/login/?next=/hanoi")

    text = page.content.decode()
    for label in ("Microsoft 365", "Google", "Keycloak Hà Nội"):
        assert f"Đăng nhập bằng {label}" in text
    form_action = next(
        part for part in page["Content-Security-Policy"].split(";") if "form-action" in part
    )
    for origin in (
        "https://login.microsoftonline.com",
        "https://accounts.google.com",
        provider.url,
    ):
        assert origin in form_action

    User.objects.create_user("hanoi", password="mat-khau-phong")
    signed = client.post(
        "/accounts/login/", {"username": "hanoi", "password": "mat-khau-phong", "next": "/hanoi"}
    )
    assert signed.status_code == 302 and signed["Location"] == "/hanoi"


def test_the_authorize_request_names_our_callback(settings, monkeypatch, provider) -> None:
    configure(settings, monkeypatch, provider)
    start = Client().post("/accounts/oidc/keycloak/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(f"{provider.url}/oauth2/authorize")
    assert query["redirect_uri"] == ["http://testserver/accounts/oidc/keycloak/login/callback/"]
    assert query["client_id"] == ["meet"]
