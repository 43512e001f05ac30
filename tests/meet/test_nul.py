"""No request carries a NUL character to a view (meet/middleware.py: NulRefusedMiddleware).

Issue 10, fuzzing: ``/api/sites/?kind=a%00b`` and ``/api/occurrences/?room=a%00b`` were
500s on PostgreSQL, which refuses NUL in text.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        "/api/sites/?kind=a%00b",
        "/api/sites/?province=%00",
        "/api/occurrences/?room=a%00b",
        "/api/occurrences/?unit=x%00",
        "/?q=%00",
        "/api/sessions/?a%00=1",
        "/calendar/?week=2026-12-07%00",
        "/api/attendance/?occurrence=2026-12-07%00",
    ],
)
def test_a_nul_in_the_address_is_a_clear_400(client: Client, address: str) -> None:
    client.force_login(UserFactory.create())
    response = client.get(address)
    assert response.status_code == 400
    assert "ký tự không được phép" in response.content.decode()


@pytest.mark.django_db
def test_a_nul_in_a_posted_form_is_a_clear_400(client: Client) -> None:
    response = client.post(
        "/accounts/login/",
        "username=a%00b&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_ordinary_addresses_pass(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.get("/api/sites/?kind=school").status_code == 200
    assert client.get("/api/occurrences/?room=hanoi").status_code == 200
    # The same characters without the NUL: the guard refuses the NUL, not the field.
    assert client.get("/api/occurrences/?room=a%01b").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        '{"occurrence": 1, "unit": "a\\u0000b"}',  # CI's fuzzer: a 500 on PostgreSQL
        '{"occurrence": 1, "unit\\u0000": "x"}',
        '{"occurrence": [{"deep": ["\\u0000"]}]}',
    ],
)
def test_a_nul_in_a_json_body_is_a_clear_400(client: Client, body: str) -> None:
    client.force_login(UserFactory.create())
    response = client.post("/api/attendance/", body, content_type="application/json")
    assert response.status_code == 400
    assert "ký tự không được phép" in response.content.decode()


@pytest.mark.django_db
def test_a_json_body_that_only_spells_the_escape_reaches_the_view(client: Client) -> None:
    """``"\\\\u0000"`` is a backslash and five characters, no NUL: the view decides."""
    client.force_login(UserFactory.create())
    response = client.post(
        "/api/attendance/", '{"occurrence": "\\\\u0000"}', content_type="application/json"
    )
    assert "ký tự không được phép" not in response.content.decode()
    assert response.status_code in (400, 403)  # the view's own answer
