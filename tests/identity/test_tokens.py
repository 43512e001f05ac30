"""Personal access tokens for the REST API (issue 16, item 3): scoped, revocable, shown once,
hashed at rest, beside the session; the OpenAPI document names the scheme."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from identity.models import AccessToken
from identity.services.tokens import access_token_create, access_token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer() -> User:
    return User.objects.create_user("quanly", password="x")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_page_shows_a_new_token_once_and_keeps_only_its_digest(officer: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(officer)

    made = client.post("/accounts/tokens/", {"name": "Hệ thống của Sở", "scope": "read"})

    text = made.content.decode()
    token = re.search(r'<code class="new-token">(meet_[A-Za-z0-9_-]+)</code>', text)
    assert token is not None and "chỉ hiện một lần" in text
    assert "no-store" in made["Cache-Control"] or "max-age=0" in made["Cache-Control"]
    record = AccessToken.objects.get()
    assert record.digest == hashlib.sha256(token[1].encode()).hexdigest()
    assert token[1] not in str(AccessToken.objects.values_list())  # nowhere in clear
    again = client.get("/accounts/tokens/").content.decode()
    assert token[1] not in again and record.shown in again and "Hệ thống của Sở" in again


def test_a_read_token_reads_and_may_not_write(officer: User) -> None:
    _record, token = access_token_create(user=officer, name="đọc", scope="read")
    client = Client()

    assert client.get("/api/sites/").status_code == 403  # no credentials: as before
    assert client.get("/api/sites/", headers=bearer(token)).status_code == 200
    refused = client.post(
        "/api/sessions/", {}, content_type="application/json", headers=bearer(token)
    )
    assert refused.status_code == 403
    assert AccessToken.objects.get().last_used_at is not None


def test_a_write_token_writes_without_csrf(officer: User) -> None:
    _record, token = access_token_create(user=officer, name="ghi", scope="write")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/api/sessions/", {}, content_type="application/json", headers=bearer(token)
    )

    # Past authentication and CSRF: the body itself is what is refused.
    assert response.status_code == 400 and "room" in response.json()


def refused(client: Client, token: str) -> bool:
    """The API's refusal of a bad token (403 like every refusal of the session's API)."""
    response = client.get("/api/sites/", headers=bearer(token))
    return response.status_code == 403 and "đã bị thu hồi" in response.json()["detail"]


def test_a_revoked_unknown_or_disabled_token_is_refused(officer: User) -> None:
    record, token = access_token_create(user=officer, name="x", scope="read")
    client = Client()
    assert not refused(client, token)
    assert refused(client, token + "x")

    access_token_revoke(user=officer, token_id=record.pk)
    assert refused(client, token)

    _record, other = access_token_create(user=officer, name="y", scope="read")
    officer.is_active = False
    officer.save()
    assert refused(client, other)


def test_only_the_owner_revokes_a_token(officer: User) -> None:
    record, token = access_token_create(user=officer, name="x", scope="write")
    stranger = User.objects.create_user("nguoila", password="x")
    client = Client()
    client.force_login(stranger)
    client.post(f"/accounts/tokens/{record.pk}/revoke/")
    assert AccessToken.objects.get().revoked_at is None

    client.force_login(officer)
    client.post(f"/accounts/tokens/{record.pk}/revoke/")
    assert AccessToken.objects.get().revoked_at is not None


def test_a_nameless_token_is_refused_in_vietnamese(officer: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(officer)
    response = client.post("/accounts/tokens/", {"name": "  ", "scope": "write"})
    assert response.status_code == 400 and "Hãy đặt tên cho mã" in response.content.decode()
    assert not AccessToken.objects.exists()


def test_the_openapi_document_names_the_bearer_scheme() -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()
    scheme = schema["components"]["securitySchemes"]["accessToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    sites = schema["paths"]["/api/sites/"]["get"]["security"]
    assert {"accessToken": []} in sites and {"cookieAuth": []} in sites
