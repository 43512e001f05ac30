"""Admin pages of live meetings: what each meeting left behind, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from signaling.models import (
    ChatMessage,
    LiveRoomSettings,
    Meeting,
    Participant,
    Poll,
    PollOption,
    SharedFile,
    SlideDeck,
)


class _ReadOnlyInline(admin.TabularInline[Any, Any]):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Every shown field is read-only: the form must not be built with a field the
        # model does not let it edit (ChatMessage.sent_at made the meeting page a 500).
        return self.fields or ()


class ParticipantInline(_ReadOnlyInline):
    model = Participant
    fields = ("name", "role", "presenter", "state", "joined_at", "left_at")


class ChatInline(_ReadOnlyInline):
    model = ChatMessage
    fields = ("sent_at", "name", "text")


class FileInline(_ReadOnlyInline):
    model = SharedFile
    fields = ("created_at", "by_name", "name", "size")


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin[Meeting]):
    list_display = ("room", "started_at", "ended_at", "ended_by", "occurrence_ref")
    list_filter = ("started_at",)
    search_fields = ("room__slug", "room__title", "room__unit__name")
    date_hierarchy = "started_at"
    readonly_fields = (
        "room",
        "started_at",
        "ended_at",
        "last_activity_at",
        "locked",
        "ended_by",
        "occurrence_ref",
        "slide_deck",
        "slide_page",
    )
    inlines = [ParticipantInline, ChatInline, FileInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class PollOptionInline(_ReadOnlyInline):
    model = PollOption
    fields = ("position", "text")


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin[Poll]):
    list_display = ("question", "meeting", "multiple", "created_at", "closed_at")
    readonly_fields = ("meeting", "question", "multiple", "created_by", "created_at", "closed_at")
    inlines = [PollOptionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SlideDeck)
class SlideDeckAdmin(admin.ModelAdmin[SlideDeck]):
    list_display = ("title", "meeting", "page_count", "by_name", "created_at")
    readonly_fields = ("meeting", "uploaded_by", "by_name", "title", "page_count", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LiveRoomSettings)
class LiveRoomSettingsAdmin(admin.ModelAdmin[LiveRoomSettings]):
    list_display = ("room", "lobby_enabled", "updated_at")
    fields = ("room", "lobby_enabled")
    autocomplete_fields = ("room",)
