"""Rows of the admin site, generated from every admin route the resolver lists.

The admin site has one gate (``AdminSite.admin_view``): staff only, and the matrix has one
staff role, the administrator. Each route is requested by every role; a route added to
the admin gets its row here without anyone writing it.
"""

from __future__ import annotations

import re

from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import RequestFactory
from django.urls import reverse

from tests.security.matrix import roles as r
from tests.security.matrix.routes import Route, http_routes
from tests.security.matrix.table import Row, UrlOf, gate

ARGUMENTS = {
    "object_id": "1",
    "app_label": "rooms",
    "content_type_id": "1",
    "url": "nothing/",
    "id": "1",
}
# Exceptions to "administrators only", each with its reason.
SPECIAL: dict[str, tuple[frozenset[str], str]] = {
    "admin:login": (r.EVERYONE, "get"),  # the login page itself
    "admin:logout": (r.EVERYONE, "post"),  # logging out needs no rights
    # No object of the matrix has a public address, and the autocomplete needs parameters
    # this row does not send: refused to everyone, the administrator included.
    "admin:view_on_site": (r.NOBODY, "get"),
    "admin:autocomplete": (r.NOBODY, "get"),
    "path:admin/(?P<url>.*)$": (r.NOBODY, "get"),  # the catch-all: 404 or the login page
}


def is_admin_route(route: Route) -> bool:
    """Whether the route belongs to the admin site."""
    return route.key.startswith("admin:") or route.pattern.startswith("admin/")


def _read_only_adds() -> set[str]:
    """``admin:<app>_<model>_add`` of the models whose admin lets nobody add (axes' logs,
    rows the live room writes), and ``…_delete`` of those whose admin lets nobody delete
    (the task queue's results): refused even to a superuser."""
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    refused = set()
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if not model_admin.has_add_permission(request):
            refused.add(f"{prefix}_add")
        if not model_admin.has_delete_permission(request):
            refused.add(f"{prefix}_delete")
    return refused


def _url(route: Route) -> str:
    if not route.key.startswith("path:"):
        return reverse(route.key, kwargs={name: ARGUMENTS[name] for name in route.params})
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ARGUMENTS[m.group(1)], route.pattern)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: ARGUMENTS[m.group(1)], path)
    return "/" + path.rstrip("$")


def _rule(route: Route, read_only: set[str]) -> tuple[frozenset[str], str, tuple[int, ...]]:
    if route.key in read_only:
        return r.NOBODY, "get", ()
    allow, method = SPECIAL.get(route.key, (r.ADMINS, "get"))
    return allow, method, ()


def _constant(url: str) -> UrlOf:
    return lambda world: url


def _model_of(route: Route) -> type[Model] | None:
    """The model an ``admin:<app>_<model>_<view>`` route acts on."""
    for model in admin.site._registry:
        if route.key.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def _on_an_existing_object(route: Route) -> UrlOf:
    """The route's address for an object that exists when the row runs: ids are not 1 on
    PostgreSQL, whose sequences go on across the tests' flushes."""
    model = _model_of(route)
    if model is None:
        return _constant(_url(route))

    def url(world: object) -> str:
        pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        found = str(pk if pk is not None else 1)
        arguments = {**ARGUMENTS, "object_id": found, "id": found}  # (the password form's)
        return reverse(route.key, kwargs={name: arguments[name] for name in route.params})

    return url


def admin_rows() -> list[Row]:
    """One row per admin route."""
    read_only = _read_only_adds()
    rows: list[Row] = []
    for route in http_routes():
        if not is_admin_route(route):
            continue
        allow, method, ok = _rule(route, read_only)
        url = _on_an_existing_object(route) if {"object_id", "id"} & set(route.params) else None
        rows.append(gate(route.key, url or _constant(_url(route)), allow, method=method, ok=ok))
    return rows
