"""The rows of the HTTP access matrix and the helpers that write them compactly.

A row is (route, method, state) → which roles pass. Two kinds:

* a gate: roles in ``allow`` get an allowed answer (``ok`` statuses, or for writes anything
  that is neither a refusal nor a 5xx); every other role is refused (verdict.Answer.refused).
* a listing (``marker`` set): every role not in ``refused`` gets 200; roles in ``allow``
  find the marker (a private title, an unpublished entry) in the body, the others must NOT.
  This is how a list that answers 200 to everyone is checked for what it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.security.matrix import roles as r
from tests.security.matrix.verdict import Call
from tests.security.matrix.world import World

UrlOf = Callable[[World], str]
DataOf = Callable[[World], Any]
HeadersOf = Callable[[World, str], dict[str, str]]
Prepare = Callable[[World], None]

READ_OK = (200,)
ANY_OK = ()  # any answer that is not a refusal and not a 5xx


@dataclass(frozen=True)
class Row:
    """One (route, method, state) and who passes."""

    route: str
    method: str
    state: str
    url: UrlOf
    allow: frozenset[str]
    marker: str = ""
    refused: frozenset[str] = r.NOBODY  # listings only: roles that may not list at all
    ok: tuple[int, ...] = READ_OK
    data: DataOf | None = None
    as_json: bool = False
    headers: HeadersOf | None = None
    prepare: Prepare | None = None
    follow: bool = False
    issue: str = ""  # "row N" of issue 10 when the cell guards a reported leak

    @property
    def ident(self) -> str:
        """The row's test id."""
        return f"{self.route} {self.method.upper()} [{self.state}]"

    def call(self, world: World, role: str) -> Call:
        """The request ``role`` makes for this row."""
        return Call(
            method=self.method,
            path=self.url(world),
            data=self.data(world) if self.data is not None else None,
            json=self.as_json,
            headers=self.headers(world, role) if self.headers is not None else {},
            follow=self.follow,
        )


def gate(
    route: str,
    url: UrlOf,
    allow: frozenset[str] | set[str],
    *,
    method: str = "get",
    state: str = "-",
    **options: Any,
) -> Row:
    """A row where ``allow`` pass and everyone else is refused."""
    if "ok" not in options:
        options["ok"] = READ_OK if method == "get" else ANY_OK
    return Row(route, method, state, url, frozenset(allow), **options)


def listing(
    route: str,
    url: UrlOf,
    marker: str,
    sees: frozenset[str],
    *,
    state: str,
    refused: frozenset[str] = r.NOBODY,
    **options: Any,
) -> Row:
    """A row where everyone not ``refused`` lists, and only ``sees`` find ``marker``."""
    return Row(route, "get", state, url, frozenset(sees), marker=marker, refused=refused, **options)
