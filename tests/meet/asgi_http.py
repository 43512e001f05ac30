"""One HTTP request through an ASGI application, from a chosen TCP peer.

Django's AsyncClient calls Django's handler directly and so skips the ASGI middleware of
meet/asgi.py; these tests need the whole stack, with the peer address a server would put
in ``scope["client"]``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode


@dataclass
class Answer:
    """Status, headers (lower-case names) and body of one response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        """The first header called ``name`` (case-insensitive), or ''."""
        return next((v for k, v in self.headers if k == name.lower()), "")


@dataclass
class Browser:
    """Cookies kept across requests, like a browser's jar (Secure ones included)."""

    peer: str
    cookies: dict[str, str] = field(default_factory=dict)

    async def request(
        self,
        app: Any,
        method: str,
        path: str,
        *,
        headers: list[tuple[str, str]] | None = None,
        form: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request from ``self.peer`` and keep the cookies it sets."""
        body = urlencode(form).encode() if form is not None else b""
        sent = [("host", "127.0.0.1"), *(headers or [])]
        if form is not None:
            sent.append(("content-type", "application/x-www-form-urlencoded"))
        if self.cookies:
            sent.append(("cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items())))
        answer = await call(app, method, path, peer=self.peer, headers=sent, body=body)
        for name, value in answer.headers:
            if name == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        return answer


async def call(
    app: Any,
    method: str,
    path: str,
    *,
    peer: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
) -> Answer:
    """Run one ASGI HTTP exchange and collect the response."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        + [(b"content-length", str(len(body)).encode())],
        "client": [peer, 40000],
        "server": ["127.0.0.1", 8000],
    }
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await messages.put({"type": "http.request", "body": body, "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return await messages.get()

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    start = next(m for m in sent if m["type"] == "http.response.start")
    response_headers = [
        (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in start["headers"]
    ]
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], response_headers, content)
