"""Security headers on every route, and pages that need no inline or third-party code.

Every URL pattern of meet/urls.py is requested (its parameters filled from the demo data)
by an anonymous visitor and by the administrator. Whatever the answer (a page, a 404, a
redirect, a file), it carries a Content-Security-Policy without 'unsafe-inline' scripts
that no other site may frame (except the portal's embeddable player), and a
Permissions-Policy that gives cameras and microphones only to the live room and the
self-test. Each HTML page is read for inline scripts, event-handler attributes, inline
styles and anything loaded from another origin.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.broadcasts.helpers import broadcast_now

FRAMEABLE = {"portal:embed"}
DEVICE_PAGES = {"live-or-watch", "signaling:live", "rooms:selftest"}
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its route with parameters, and its name (namespace:name)."""

    route: str
    name: str


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # the admin's app-index regex and catch-all: reached through others
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace or ""
            yield from _routes(entry.url_patterns, route, inner.strip(":"))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Route(route, name or route)


def every_route() -> list[Route]:
    """Every routed URL pattern of the site (a route added later is included)."""
    return list(dict.fromkeys(_routes(get_resolver().url_patterns)))


def _fill(route: str, values: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match["converter"] or "str", match["name"]
        if name in values:
            return values[name]
        return {"int": "1", "slug": "hanoi", "recording": str(uuid.uuid4())}.get(converter, "1")

    return "/" + PARAMETER.sub(value, route)


def _values() -> dict[str, str]:
    """Parameters that reach real objects of the demo data."""
    from scheduling.models import Occurrence

    occurrence = Occurrence.objects.filter(room__slug="hanoi").order_by("pk").first()
    assert occurrence is not None, "the demo schedule has meetings in the Hà Nội room"
    return {
        "slug": "hanoi",
        "pk": str(occurrence.pk),
        "uid": str(occurrence.session.uid),
        "name": "index.m3u8",
        "decision": "approve",
        "token": "x",
    }


class PageReader(HTMLParser):
    """Collects what a strict CSP would refuse or what comes from another origin."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> (inline event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style=…> (inline style)")
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "script":
            src = attributes.get("src")
            if src:
                self.scripts.append(src)
                self._same_origin(tag, src)
            elif (attributes.get("type") or "").lower() not in DATA_SCRIPT_TYPES:
                self.problems.append("inline <script>")
        elif tag == "style":
            self.problems.append("inline <style>")
        elif tag == "link" and (attributes.get("rel") or "") in {"stylesheet", "preload"}:
            self._same_origin(tag, attributes.get("href") or "")
        elif tag in {"img", "video", "audio", "source", "track", "iframe"}:
            self._same_origin(tag, attributes.get("src") or "")

    def _same_origin(self, tag: str, address: str) -> None:
        parsed = urlparse(address)
        if parsed.scheme or parsed.netloc:
            self.problems.append(f"<{tag}> from another origin: {address}")


def _policy(header: str) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


def _header_problems(response: Any, route: Route) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    policy = _policy(csp)
    scripts = policy.get("script-src", policy.get("default-src", []))
    if not csp or "'unsafe-inline'" in scripts or "*" in scripts or not scripts:
        problems.append(f"script-src {scripts}")
    if "'unsafe-inline'" in policy.get("style-src", []):
        problems.append("style-src allows inline styles")
    ancestors = policy.get("frame-ancestors")
    expected = ["*"] if route.name in FRAMEABLE else ["'none'"]
    if ancestors != expected:
        problems.append(f"frame-ancestors {ancestors}, expected {expected}")
    permissions = response.get("Permissions-Policy", "")
    if "geolocation=()" not in permissions:
        problems.append(f"Permissions-Policy {permissions!r}")
    devices = route.name in DEVICE_PAGES and response.status_code == 200
    for feature in ("camera", "microphone", "display-capture"):
        wanted = f"{feature}=(self)" if devices else f"{feature}=()"
        if wanted not in permissions:
            problems.append(f"Permissions-Policy lacks {wanted}")
    return problems


@pytest.fixture
def demo(db: None) -> User:
    """The demo data (as `meet run` loads it); the administrator."""
    call_command("load_provinces")
    call_command("load_demo")
    call_command("load_demo_schedule")
    return User.objects.get(username="admin")


def _visitors(admin: User) -> dict[str, Client]:
    signed_in = Client()
    signed_in.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    return {"anonymous": Client(), "admin": signed_in}


def test_every_route_carries_csp_and_permissions_policy(demo: User) -> None:
    """Issue 10, row 9: CSP without 'unsafe-inline' scripts and Permissions-Policy on every
    route; only the embeddable player may be framed, only room pages use devices."""
    values = _values()
    problems = []
    routes = every_route()
    assert len(routes) > 60, "the walk over the URL configuration found too few routes"
    for route in routes:
        url = _fill(route.route, values)
        for who, client in _visitors(demo).items():
            response = client.get(url)
            problems += [f"{who} {url}: {p}" for p in _header_problems(response, route)]
    assert not problems, "\n".join(problems)


def test_html_pages_have_no_inline_or_third_party_code(demo: User) -> None:
    """Issue 10, row 9: no page runs an inline script, an event-handler attribute, an inline
    style, or anything from another origin (the API docs' Swagger UI included)."""
    values = _values()
    problems, pages = [], 0
    for route in every_route():
        url = _fill(route.route, values)
        for who, client in _visitors(demo).items():
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            pages += 1
            reader = PageReader()
            reader.feed(response.content.decode())
            problems += [f"{who} {url}: {p}" for p in reader.problems]
    assert pages > 30, "too few pages rendered to prove anything"
    assert not problems, "\n".join(problems)


def test_api_docs_serve_swagger_ui_from_our_static_files(client: Client) -> None:
    """Issue 10, row 9: /api/docs/ loaded swagger-ui-dist@latest from a CDN."""
    response = client.get("/api/docs/")
    reader = PageReader()
    reader.feed(response.content.decode())
    assert reader.problems == []
    assert any("swagger-ui-bundle.js" in src for src in reader.scripts)
    assert all(src.startswith("/") for src in reader.scripts)
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


def test_the_watch_page_gets_no_camera_but_the_live_room_does(demo: User) -> None:
    """Issue 10, row 9: /<slug>/live/ is the live room (devices) or, while the room
    broadcasts, the public watch page (no devices)."""
    from rooms.models import Room

    room = Room.objects.get(slug="hanoi")
    before = _visitors(demo)["admin"].get("/hanoi/live/")
    assert before.status_code == 200 and "camera=(self)" in before["Permissions-Policy"]
    broadcast_now(room)
    watch = Client().get("/hanoi/live/")
    assert b"watch-state" in watch.content, "the public watch page while broadcasting"
    assert "camera=()" in watch["Permissions-Policy"]
    assert "microphone=()" in watch["Permissions-Policy"]
