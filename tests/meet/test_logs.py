"""JSON log lines with request, room and participant ids, and never a secret (issue 12)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from mediaworker.logs import JsonLineFormatter, RedactingFilter, log_format
from meet.logs import ContextFilter
from realtime import logcontext

SECRET_KEY = "x9!fake-secret-key-for-the-redaction-test-0123456789"
DB_PASSWORD = "pg-Pa55word-42"
REDIS_PASSWORD = "redis-pa55-77"
SECRETS = (
    SECRET_KEY,
    DB_PASSWORD,
    REDIS_PASSWORD,
    "hunter2hunter2",
    "tok-5f1e2d3c4b",
    "abc.def.ghi",
)


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch):
    """A logger whose records go through the web's filters to a JSON handler in memory."""
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("DATABASE_URL", f"postgres://meet:{DB_PASSWORD}@db:5432/meet")
    monkeypatch.setenv("EMAIL_HOST_PASSWORD", "hunter2hunter2")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())  # reads the environment's secrets when made
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield logger, read
    logger.removeHandler(handler)


def test_json_lines_carry_level_logger_message_and_the_ids(lines) -> None:
    logger, read = lines
    tokens = (
        logcontext.request_id.set("req-0123456789"),
        logcontext.room.set("hanoi"),
        logcontext.participant.set("p42"),
    )
    try:
        logger.warning("Người %s vào phòng", "Minh")
    finally:
        logcontext.participant.reset(tokens[2])
        logcontext.room.reset(tokens[1])
        logcontext.request_id.reset(tokens[0])
    (line,) = read()
    assert line["level"] == "WARNING"
    assert line["logger"] == "tests.redaction"
    assert line["message"] == "Người Minh vào phòng"
    assert line["timestamp"]
    assert (line["request_id"], line["room"], line["participant"]) == (
        "req-0123456789",
        "hanoi",
        "p42",
    )


def test_secrets_never_reach_a_log_line(lines) -> None:
    logger, read = lines
    logger.info("connecting to postgres://meet:%s@db:5432/meet", DB_PASSWORD)
    logger.info("layer at redis://:%s@redis:6379/0", REDIS_PASSWORD)
    logger.info("headers: Authorization: Bearer abc.def.ghi, Cookie: sessionid=s3ss10n; a=b")
    logger.info('form {"username": "minh", "password": "hunter2hunter2"}')
    logger.info("query ?token=tok-5f1e2d3c4b&page=2")
    logger.info("settings say %s", {"SECRET_KEY": SECRET_KEY})
    logger.info("a mail login", extra={"password": "hunter2hunter2", "api_token": "tok-5f1e2d3c4b"})
    try:
        raise ConnectionError(f"cannot reach postgres://meet:{DB_PASSWORD}@db/meet")
    except ConnectionError:
        logger.exception("database down")
    found = read()
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in found)
    for secret in SECRETS:
        assert secret not in text, secret
    assert "s3ss10n" not in text
    assert len(found) == 8
    assert "postgres://meet:[redacted]@db:5432/meet" in found[0]["message"]
    assert found[1]["message"] == "layer at redis://:[redacted]@redis:6379/0"
    assert found[4]["message"] == "query ?token=[redacted]&page=2"  # the rest stays readable
    assert found[6]["password"] == found[6]["api_token"] == "[redacted]"
    assert "ConnectionError" in found[7]["exc_info"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "plain"),
        ({"MEET_MODE": "production"}, "json"),
        ({"MEET_MODE": "production", "LOG_FORMAT": "plain"}, "plain"),
        ({"LOG_FORMAT": "JSON"}, "json"),
    ],
)
def test_log_format_follows_the_mode_unless_chosen(environ: dict[str, str], expected: str) -> None:
    assert log_format(environ) == expected


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        log_format({"LOG_FORMAT": "xml"})
