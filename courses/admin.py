"""Courses in the admin: read what was issued, fix a course's settings."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from courses.models import Certificate, Course, CourseSession, EnrolmentRule, QuizAttempt


class SessionInline(admin.TabularInline):
    model = CourseSession
    extra = 0
    raw_id_fields = ["occurrence"]


class RuleInline(admin.TabularInline):
    model = EnrolmentRule
    extra = 0
    raw_id_fields = ["unit"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "organiser", "hours", "min_percent", "created_at"]
    search_fields = ["title", "organiser__name"]
    raw_id_fields = ["organiser", "created_by"]
    inlines = [SessionInline, RuleInline]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Issued certificates are records: read only."""

    list_display = ["code", "teacher_name", "course_title", "hours", "issued_at"]
    search_fields = ["code", "teacher_name", "course_title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(QuizAttempt)
class QuizAttemptAdmin(admin.ModelAdmin):
    list_display = ["quiz", "user", "percent", "passed", "at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
