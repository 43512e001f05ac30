"""The competitions in Django's admin, for administrators who must correct data by hand."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from competitions.models import (
    Competition,
    Contestant,
    ContestantDocument,
    Criterion,
    Juror,
    Reopening,
    ScoreSheet,
    Slot,
    Subject,
)


class SubjectInline(admin.TabularInline[Subject, Competition]):
    model = Subject
    extra = 0


class CriterionInline(admin.TabularInline[Criterion, Competition]):
    model = Criterion
    extra = 0


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin[Competition]):
    list_display = ("name", "organiser", "level", "first_day", "status")
    list_filter = ("status", "level")
    search_fields = ("name", "organiser__name")
    autocomplete_fields = ("organiser",)
    filter_horizontal = ("rooms",)
    inlines = [SubjectInline, CriterionInline]


class DocumentInline(admin.TabularInline[ContestantDocument, Contestant]):
    model = ContestantDocument
    extra = 0


@admin.register(Contestant)
class ContestantAdmin(admin.ModelAdmin[Contestant]):
    list_display = ("teacher_name", "school", "subject", "competition")
    list_filter = ("competition",)
    search_fields = ("teacher_name", "lesson_title", "school__name")
    inlines = [DocumentInline]


@admin.register(Juror)
class JurorAdmin(admin.ModelAdmin[Juror]):
    list_display = ("user", "unit", "subject", "chair")
    list_filter = ("subject__competition",)


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin[Slot]):
    list_display = ("contestant", "room", "start", "end")
    list_filter = ("competition",)


@admin.register(ScoreSheet)
class ScoreSheetAdmin(admin.ModelAdmin[ScoreSheet]):
    list_display = ("contestant", "juror", "submitted_at")
    list_filter = ("contestant__competition",)


@admin.register(Reopening)
class ReopeningAdmin(admin.ModelAdmin[Reopening]):
    """The audit log is read only: nobody edits why a sheet was reopened."""

    list_display = ("sheet", "by", "at", "reason")
    readonly_fields = ("sheet", "by", "reason", "submitted_at", "at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Reopening | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Reopening | None = None) -> bool:
        return False
