"""Query filters of the units and rooms API."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from rooms.domain import naming
from rooms.models import Level, Room, Unit, UnitKind


def _accentless(
    queryset: QuerySet[Any], name: str, value: str, *, slug_field: str
) -> QuerySet[Any]:
    condition = Q(name__icontains=value) if queryset.model is Unit else Q(title__icontains=value)
    try:
        condition |= Q(**{f"{slug_field}__contains": naming.compact(value)})
    except ValueError:
        pass
    if queryset.model is Room:
        condition |= Q(unit__name__icontains=value)
    return queryset.filter(condition)


class UnitFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=UnitKind.choices)
    level = filters.ChoiceFilter(choices=Level.choices)
    province = filters.CharFilter(field_name="province__slug")
    parent = filters.CharFilter(field_name="parent__code")
    q = filters.CharFilter(
        method=lambda qs, name, value: _accentless(qs, name, value, slug_field="slug"),
        label="Search (accents optional)",
    )

    class Meta:
        model = Unit
        fields = ["kind", "level", "province", "parent", "q"]


class RoomFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(field_name="unit__kind", choices=UnitKind.choices)
    province = filters.CharFilter(field_name="unit__province__slug")
    guest_access = filters.BooleanFilter()
    q = filters.CharFilter(
        method=lambda qs, name, value: _accentless(qs, name, value, slug_field="slug"),
        label="Search (accents optional)",
    )

    class Meta:
        model = Room
        fields = ["kind", "province", "guest_access", "q"]
