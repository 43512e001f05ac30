"""Template filters that put readiness into words."""

from __future__ import annotations

from django import template

from rooms.domain.readiness import Caution, Shortfall
from rooms.readiness_text import caution_text as _caution_text
from rooms.readiness_text import shortfall_text as _shortfall_text

register = template.Library()


@register.filter
def shortfall_text(shortfall: Shortfall) -> str:
    """What is missing or faulty, in the user's language."""
    return _shortfall_text(shortfall)


@register.filter
def caution_text(caution: Caution) -> str:
    """What deserves a look, in the user's language."""
    return _caution_text(caution)
