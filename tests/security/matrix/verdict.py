"""Send one request as one role and judge the answer: allowed, refused, or a leak.

A refusal is what the app answers a person who may not pass, by route type: a redirect to
a login page, 401, 403 or 404 (a private object is "not found"), or a JSON refusal whose
``code`` says so (the live-room endpoints answer ``{"code": "not_joined"}``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import Client

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")
REFUSED_STATUSES = frozenset({401, 403, 404})
REFUSAL_CODES = frozenset({"not_joined", "forbidden", "forbidden_presenter", "sign_in"})


@dataclass(frozen=True)
class Answer:
    """What came back, reduced to what the matrix judges."""

    status: int
    location: str = ""
    body: bytes = b""
    error: str = ""  # an exception the view raised (a 500)

    @property
    def refused(self) -> bool:
        """The request was turned away (login redirect, 401/403/404 or a JSON refusal)."""
        if self.status in REFUSED_STATUSES:
            return True
        if self.status in (200, 301, 302, 303, 307) and self.location.startswith(LOGIN_PATHS):
            return True
        return self.status >= 400 and self._json_code() in REFUSAL_CODES

    def _json_code(self) -> str:
        try:
            data = json.loads(self.body)
        except ValueError:
            return ""
        return str(data.get("code", "")) if isinstance(data, dict) else ""

    def short(self) -> str:
        """The answer in a few words for a failure message."""
        where = f" -> {self.location}" if self.location else ""
        return self.error or f"{self.status}{where}"


@dataclass(frozen=True)
class Call:
    """One request: method, path, form/JSON data and extra headers."""

    method: str
    path: str
    data: dict[str, Any] | bytes | None = None
    json: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    follow: bool = False


def _body(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        # Reading it to the end closes it, as the test client arranges (closing it again
        # would fire request_finished and close the database connection mid-transaction).
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return bytes(response.content)


# One client for the whole run: each new Client loads the middleware again, and
# WhiteNoise's scan of the static files then costs more than the request.
_client = Client(raise_request_exception=True)


def send(call: Call, session_key: str) -> Answer:
    """Make ``call`` with the session ``session_key`` (or none); undo what it wrote."""
    client = _client
    client.cookies.clear()  # no messages or CSRF cookie carried from another request
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    request: Callable[..., HttpResponse] = getattr(client, call.method)
    kwargs: dict[str, Any] = {"headers": call.headers, "follow": call.follow}
    if call.json:
        kwargs["content_type"] = "application/json"
    try:
        with transaction.atomic():
            if call.data is None:
                response = request(call.path, **kwargs)
            else:
                response = request(call.path, call.data, **kwargs)
            answer = Answer(
                status=response.status_code,
                location=_final_location(response),
                body=_body(response),
            )
            transaction.set_rollback(True)
    except Exception as exc:  # a crash is a cell that fails, with its reason
        return Answer(status=500, error=f"{type(exc).__name__}: {exc}"[:300])
    return answer


def _final_location(response: HttpResponse) -> str:
    chain = getattr(response, "redirect_chain", None)
    if chain and response.status_code == 200:
        last = str(chain[-1][0])
        return last if last.startswith(LOGIN_PATHS) else ""
    return str(response.get("Location", ""))
