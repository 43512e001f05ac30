"""The log line of every meet process: plain or JSON, and never a secret.

Here, not in meet/, because the media worker imports nothing of the web side; the web's
``LOGGING`` (meet/settings.py) names these classes too, so one format and one redaction
serve daphne, the scheduler and the worker.

- ``LOG_FORMAT``: ``json`` (default with ``MEET_MODE=production``) or ``plain`` (default in
  the embedded mode). JSON lines carry ``timestamp``, ``level``, ``logger``, ``message``
  and what the web adds (``request_id``, ``room``, ``participant``: meet/logs.py).
- ``RedactingFilter`` rewrites a record before any handler formats it: passwords in URLs,
  ``Authorization``/``Cookie`` values, ``password=``/``token=``-like pairs, extra fields
  with such names, and the literal values of the environment's secrets (``SECRET_KEY``,
  ``*_PASSWORD``, ``*_TOKEN``, ``*_SECRET``, the password of ``DATABASE_URL``/``REDIS_URL``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pythonjsonlogger.json import JsonFormatter

REDACTED = "[redacted]"
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Names of fields, parameters and variables whose values are secrets.
SECRET_NAME = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|authori[sz]ation|cookie|session(id|_key)?|csrf",
    re.IGNORECASE,
)
_SECRET_ENV = re.compile(r"(^|_)(SECRET|PASSWORD|PASSWD|TOKEN)(_|$)|SECRET_KEY")
_URL_SECRETS = ("DATABASE_URL", "REDIS_URL", "EMAIL_URL", "CELERY_BROKER_URL")
MIN_SECRET_CHARS = 6  # shorter values would redact ordinary words

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host -> scheme://user:[redacted]@host
    (re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+(?=@)", re.I), r"\g<head>"),
    # Authorization: Bearer abc -> Authorization: [redacted] (the scheme goes too)
    (
        re.compile(
            r"(?P<head>\bauthori[sz]ation[\"']?\s*[:=]\s*[\"']?)"
            r"(?:(?:bearer|basic|token|digest)\s+)?[^\s\"',;]+",
            re.I,
        ),
        r"\g<head>",
    ),
    # a bare "Bearer abc…" (as written in a header, capitalised: "the token expired" stays)
    (re.compile(r"(?P<head>\b(?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\g<head>"),
    # Cookie: a=b; c=d (the whole header value)
    (re.compile(r"(?P<head>\b(?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)[^\"'\n]+", re.I), r"\g<head>"),
    # password=abc, "token": "abc", secret_key: 'abc'
    (
        re.compile(
            r"(?P<head>[\"']?\b[\w-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key"
            r"|sessionid|session_key|csrftoken)[\w-]*[\"']?\s*[:=]\s*[\"']?)"
            r"(?!\[redacted\])[^\s\"',;&}]+",
            re.I,
        ),
        r"\g<head>",
    ),
)


def environment_secrets(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """The values of the environment's secrets, longest first (redacted wherever seen)."""
    found: set[str] = set()
    for name, value in environ.items():
        if _SECRET_ENV.search(name.upper()) and len(value) >= MIN_SECRET_CHARS:
            found.add(value)
        if name in _URL_SECRETS and value:
            password = urlsplit(value).password
            if password and len(password) >= MIN_SECRET_CHARS:
                found.add(password)
    return tuple(sorted(found, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every secret it shows replaced by ``[redacted]``."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, head in _PATTERNS:
        text = pattern.sub(head + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, extra fields and traceback without their secrets."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.secrets = environment_secrets()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: logged as given, still redacted
            message = str(record.msg)
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_info:
            # The formatters use exc_text when there is no exc_info: format it once, here.
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self.secrets
            )
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        for key, value in list(vars(record).items()):
            if key in _RECORD_FIELDS:
                continue
            if SECRET_NAME.search(key):
                setattr(record, key, REDACTED)
            elif isinstance(value, str):
                setattr(record, key, redact(value, self.secrets))
        return True


# A LogRecord's own attributes: never taken for extra fields.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, then the extras."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)  # Vietnamese stays readable
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)


def log_format(environ: Mapping[str, str] = os.environ) -> str:
    """``LOG_FORMAT``: ``json`` or ``plain``; the default follows ``MEET_MODE``."""
    production = environ.get("MEET_MODE", "embedded").strip().lower() == "production"
    chosen = environ.get("LOG_FORMAT", "").strip().lower() or ("json" if production else "plain")
    if chosen not in {"json", "plain"}:
        raise ValueError(f"LOG_FORMAT must be 'json' or 'plain'; got {chosen!r}.")
    return chosen


def configure(environ: Mapping[str, str] = os.environ) -> None:
    """Log to stderr at ``LOG_LEVEL`` in ``LOG_FORMAT``, redacted (the worker's own process)."""
    handler = logging.StreamHandler()
    formatter: logging.Formatter = (
        JsonLineFormatter() if log_format(environ) == "json" else logging.Formatter(PLAIN_FORMAT)
    )
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=environ.get("LOG_LEVEL", "INFO"), handlers=[handler])
