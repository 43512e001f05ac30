"""Admin of recordings and the archive: for system administrators; editors use /portal/review/."""

from __future__ import annotations

from django.contrib import admin

from archive.models import ArchiveEntry, Recording, Tag


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin[Recording]):
    list_display = ["id", "room", "kind", "state", "duration", "created"]
    list_filter = ["kind", "state"]
    search_fields = ["room__slug"]
    raw_id_fields = ["room", "occurrence", "started_by"]
    readonly_fields = ["id", "state", "progress", "duration", "mp4_bytes", "created"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(ArchiveEntry)
class ArchiveEntryAdmin(admin.ModelAdmin[ArchiveEntry]):
    list_display = ["title", "unit", "kind", "held_on", "status"]
    list_filter = ["status", "kind"]
    search_fields = ["title", "search_text"]
    raw_id_fields = ["recording", "unit", "approved_by"]
    filter_horizontal = ["tags"]
    # Publishing goes through the review page so the permission check and index stay in one place.
    readonly_fields = ["status", "approved_by", "published_at", "search_text"]
