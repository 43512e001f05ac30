"""Template filters that put readiness into words."""

from __future__ import annotations

from django import template

from rooms.domain.readiness import Caution, Readiness, Shortfall
from rooms.readiness_text import caution_text as _caution_text
from rooms.readiness_text import shortfall_text as _shortfall_text
from rooms.readiness_text import shortfalls_line as _shortfalls_line

register = template.Library()


@register.filter
def shortfall_text(shortfall: Shortfall) -> str:
    """What is missing or faulty, in the user's language."""
    return _shortfall_text(shortfall)


@register.filter
def caution_text(caution: Caution) -> str:
    """What deserves a look, in the user's language."""
    return _caution_text(caution)


@register.filter
def shortfalls_line(readiness: Readiness) -> str:
    """Everything missing or faulty at a site, in one line."""
    return _shortfalls_line(readiness)
