"""Admin pages of the directory, rooms and sites, with allocation and password resets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rooms.domain.unit_rows import decode
from rooms.errors import RoomsError, UnitImportError, row_error_message
from rooms.models import (
    DeviceTest,
    EquipmentItem,
    Province,
    Room,
    RoomMembership,
    Site,
    Unit,
)
from rooms.services.accounts import Credentials, room_account_reset, rooms_allocate
from rooms.services.directory import units_import

MAX_IMPORT_BYTES = 10 * 1024 * 1024


def _show_credentials(request: HttpRequest, credentials: list[Credentials]) -> HttpResponse:
    # Rendered straight away, never stored: the passwords are shown this once.
    return TemplateResponse(
        request,
        "admin/rooms/credentials.html",
        {"credentials": credentials, "title": _("Room logins"), **admin.site.each_context(request)},
    )


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin[Province]):
    list_display = ["name", "code", "slug"]
    search_fields = ["name", "slug"]
    readonly_fields = ["code", "slug"]


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file (UTF-8)"))


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin[Unit]):
    list_display = ["name", "kind", "level", "slug", "province", "mailbox"]
    list_filter = ["kind", "level", "province"]
    search_fields = ["name", "slug", "code", "abbreviation"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["slug", "created_at", "updated_at"]
    actions = ["allocate_rooms"]
    change_list_template = "admin/rooms/unit/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="rooms_unit_import",
            )
        ]
        return custom + super().get_urls()

    def has_allocate_permission(self, request: HttpRequest) -> bool:
        """Allocating creates rooms and their unit logins: it takes the right to add rooms."""
        return request.user.has_perm("rooms.add_room")

    def has_import_permission(self, request: HttpRequest) -> bool:
        """An import adds and changes units: it takes both model permissions."""
        return self.has_add_permission(request) and self.has_change_permission(request)

    @admin.action(
        description=gettext_lazy("Allocate rooms to the selected units"), permissions=["allocate"]
    )
    def allocate_rooms(self, request: HttpRequest, queryset: QuerySet[Unit]) -> HttpResponse | None:
        try:
            credentials = rooms_allocate(units=queryset.filter(room__isnull=True))
        except RoomsError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        if not credentials:
            self.message_user(request, _("Every selected unit already has a room."))
            return None
        return _show_credentials(request, credentials)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        # admin_view only checks staff status; the import needs the model permissions.
        if not self.has_import_permission(request):
            raise PermissionDenied(_("Importing units needs the right to add and change units."))
        form = ImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_IMPORT_BYTES:
                    raise ValueError
                result = units_import(text=decode(upload.read()))
            except UnicodeDecodeError:
                errors = [_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")]
            except ValueError:
                errors = [_("The file is larger than 10 MB.")]
            except UnitImportError as exc:
                errors = [row_error_message(error) for error in exc.errors]
            else:
                self.message_user(
                    request,
                    _("Imported: %(created)d new, %(updated)d updated.")
                    % {"created": result.created, "updated": result.updated},
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import units"),
            "form": form,
            "errors": errors,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/rooms/unit/import.html", context)


class MembershipInline(admin.TabularInline[RoomMembership, Room]):
    model = RoomMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin[Room]):
    list_display = ["slug", "__str__", "manager", "account", "guest_access"]
    list_filter = ["guest_access", "unit__kind", "unit__province"]
    search_fields = ["slug", "title", "unit__name"]
    autocomplete_fields = ["unit", "manager"]
    readonly_fields = ["account", "created_at"]
    inlines = [MembershipInline]
    actions = ["reset_passwords"]

    @admin.action(description=gettext_lazy("Reset the unit login password"), permissions=["change"])
    def reset_passwords(self, request: HttpRequest, queryset: QuerySet[Room]) -> HttpResponse:
        return _show_credentials(request, [room_account_reset(room=room) for room in queryset])

    def get_readonly_fields(self, request: HttpRequest, obj: Room | None = None) -> Any:
        # An address is never changed once given: it is printed on letters and bookmarks.
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields


class EquipmentInline(admin.TabularInline[EquipmentItem, Site]):
    model = EquipmentItem
    extra = 0


class DeviceTestInline(admin.TabularInline[DeviceTest, Site]):
    model = DeviceTest
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "tested_by",
        "camera_ok",
        "microphone_ok",
        "speakers_ok",
        "rtt_ms",
        "download_mbps",
        "user_agent",
    ]
    exclude = ["microphone_peak"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin[Site]):
    list_display = ["__str__", "location", "updated_at"]
    list_filter = ["unit__kind", "unit__province"]
    search_fields = ["unit__name", "unit__slug"]
    readonly_fields = ["unit"]
    inlines = [EquipmentInline, DeviceTestInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sites come with their units
