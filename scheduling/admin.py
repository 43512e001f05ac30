"""Admin pages of sessions and their meetings."""

from __future__ import annotations

from django.contrib import admin

from scheduling.models import Occurrence, Session


class OccurrenceInline(admin.TabularInline[Occurrence, Session]):
    model = Occurrence
    extra = 0
    fields = ["original_start", "start", "end", "title", "cancelled", "overridden"]
    readonly_fields = ["original_start", "overridden"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin[Session]):
    list_display = ["title", "kind", "room", "start", "rrule", "sequence", "cancelled"]
    list_filter = ["kind", "broadcast", "public", "cancelled"]
    search_fields = ["title", "room__slug", "host_unit__name"]
    autocomplete_fields = ["room", "host_unit"]
    readonly_fields = ["uid", "sequence", "materialised_until", "created_by"]
    inlines = [OccurrenceInline]
