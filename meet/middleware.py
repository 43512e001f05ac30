"""Request-wide rules: the interface language, and characters no request may carry."""

from __future__ import annotations

from collections.abc import Callable

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
        if _has_nul(request.GET) or (
            request.content_type == "application/x-www-form-urlencoded" and _has_nul(request.POST)
        ):
            message = _("The address or the form holds a character that is not allowed.")
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(data: QueryDict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)
