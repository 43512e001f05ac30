"""A real OpenID Connect provider on loopback for the sign-in tests (oidc-provider-mock).

oidc-provider-mock is a complete provider (discovery, authorization page, token endpoint
signing RS256 ID tokens, userinfo, JWKS) built on Authlib. Its authorization-code grant does
not check PKCE, so ``PkceEnforcer`` wraps it: the code issued for a request that carried a
``code_challenge`` is exchanged only with the ``code_verifier`` that hashes to it (RFC 7636,
S256), and a request without a challenge gets no code at all. A client that skips or
mangles PKCE then fails here as it would at Microsoft or Keycloak.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import oidc_provider_mock
import werkzeug.serving
from werkzeug.wrappers import Request

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def s256(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class PkceEnforcer:
    """WSGI middleware: codes are bound to their challenge and redeemed only with it."""

    app: WsgiApp
    challenges: dict[str, str] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    verified: int = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.path == "/oauth2/authorize":
            return self._authorize(request, environ, start_response)
        if request.path == "/oauth2/token" and request.method == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)  # the provider reads it again
            form = parse_qs(body.decode("ascii", "replace"))
            code = form.get("code", [""])[0]
            verifier = form.get("code_verifier", [""])[0]
            challenge = self.challenges.pop(code, None)
            if form.get("grant_type", [""])[0] == "authorization_code" and (
                challenge is None or not verifier or s256(verifier) != challenge
            ):
                return _json_error(start_response, "invalid_grant", "PKCE verification failed")
            self.verified += 1
        return self.app(environ, start_response)

    def _authorize(
        self, request: Request, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Any:
        args = {key: request.args[key] for key in request.args}
        self.authorize_requests.append(args)
        if args.get("code_challenge_method") != "S256" or not args.get("code_challenge"):
            return _json_error(start_response, "invalid_request", "PKCE (S256) is required")

        def remember(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            for name, value in headers:
                if name.lower() == "location":
                    code = parse_qs(urlsplit(value).query).get("code", [""])[0]
                    if code:
                        self.challenges[code] = args["code_challenge"]
            return start_response(status, headers, *rest)

        return self.app(environ, remember)


def _json_error(start_response: Callable[..., Any], error: str, description: str) -> list[bytes]:
    body = json.dumps({"error": error, "error_description": description}).encode()
    start_response("400 Bad Request", [("Content-Type", "application/json")])
    return [body]


@dataclass
class Provider:
    """A running provider: its address and the PKCE bookkeeping of its requests."""

    url: str
    pkce: PkceEnforcer

    def user(self, sub: str, **claims: object) -> None:
        """Create or replace the person ``sub`` with these claims (email, name...)."""
        import requests

        body = json.dumps(claims)
        headers = {"Content-Type": "application/json"}
        response = requests.put(f"{self.url}/users/{sub}", data=body, headers=headers, timeout=5)
        response.raise_for_status()


@contextmanager
def running_provider(host: str = "127.0.0.1") -> Iterator[Provider]:
    """Serve oidc-provider-mock (PKCE enforced) on a free loopback port."""
    pkce = PkceEnforcer(oidc_provider_mock.app(require_nonce=False))
    server = werkzeug.serving.make_server(host, 0, pkce, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Provider(url=f"http://{host}:{server.server_port}", pkce=pkce)
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
