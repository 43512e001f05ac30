"""Request ids and the live room's ids on every log line of the web process.

``request_id`` middleware: the proxy's ``X-Request-ID`` when it is a plausible id, else a
new one; echoed in the response's ``X-Request-ID``. ``ContextFilter`` (meet/settings.py
LOGGING) copies the request id and, in a live room's socket, the room and participant
(realtime/logcontext.py) onto each record. The format and the redaction of secrets are
the worker's too (mediaworker/logs.py).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.decorators import sync_and_async_middleware

from realtime import logcontext

REQUEST_ID_HEADER = "X-Request-ID"
access = logging.getLogger("meet.access")
# What a proxy's id looks like (nginx's $request_id is 32 hex digits; a UUID has dashes).
_PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id_of(request: HttpRequest) -> str:
    """The proxy's request id when it looks like one, else a new random one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _PLAUSIBLE_ID.fullmatch(given) else uuid.uuid4().hex


@sync_and_async_middleware
def request_id(
    get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
) -> Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]:
    """Middleware: the request's id on its log lines and in its response."""
    if iscoroutinefunction(get_response):

        async def middleware_async(request: HttpRequest) -> HttpResponseBase:
            started = time.perf_counter()
            # Not reset afterwards: Django logs a 4xx/5xx after the middleware returned,
            # and each request runs in a task of its own (its context dies with it).
            logcontext.request_id.set(request_id_of(request))
            response = await get_response(request)
            return _finish(request, response, started)

        return middleware_async

    def middleware(request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        logcontext.request_id.set(request_id_of(request))
        response = get_response(request)
        assert isinstance(response, HttpResponseBase)
        return _finish(request, response, started)

    return middleware


def _finish(request: HttpRequest, response: HttpResponseBase, started: float) -> HttpResponseBase:
    response[REQUEST_ID_HEADER] = logcontext.request_id.get()
    if settings.LOG_FORMAT == "json":  # daphne's plain access lines are off (meet/cli.py)
        access.info(
            "%s %s %s",
            request.method,
            request.path,  # never the query string: it may carry a token
            response.status_code,
            extra={
                "status_code": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "client": request.META.get("REMOTE_ADDR", ""),
            },
        )
    return response


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``room`` and ``participant`` to every record (empty if unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = logcontext.request_id.get()
        record.room = logcontext.room.get()
        record.participant = logcontext.participant.get()
        return True
