"""Request-wide rules: the interface language, and characters no request may carry."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _


class LanguageMiddleware(LocaleMiddleware):
    """Like Django's, but ignores the browser's Accept-Language.

    Many school computers run an English-language browser; the product is Vietnamese
    first, so only an explicit choice (the language cookie) switches to English.
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        translation.activate(chosen if chosen in supported else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class NulRefusedMiddleware:
    """A request whose address or form carries a NUL character answers 400, said plainly.

    PostgreSQL refuses NUL in text, so a NUL in a query parameter that a view reads by hand
    (``?room=a%00b``) reached the database and came back a 500 (issue 10, fuzzing). No
    name, code or text of ours contains one: refusing it here covers every view at once.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            _has_nul(request.GET)
            or (
                request.content_type == "application/x-www-form-urlencoded"
                and _has_nul(request.POST)
            )
            or (request.content_type == "application/json" and _json_has_nul(request))
        ):
            message = _("The address or the form holds a character that is not allowed.")
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _json_has_nul(request: HttpRequest) -> bool:
    """A JSON body with a NUL in a string (``\\u0000``): an API's related-object field
    (``{"unit": "a\\u0000b"}``) looked it up in PostgreSQL and answered 500 (CI's fuzzing).
    Only a body that spells the escape is parsed; a malformed one is the view's to refuse."""
    try:
        body = request.body
    except Exception:  # too large, or already read: the view answers for it
        return False
    if b"\\u0000" not in body:
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    pending: list[Any] = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)
