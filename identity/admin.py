"""Admin: a department's own providers with their domains, and sign-in requests to decide."""

from __future__ import annotations

from allauth.socialaccount.admin import SocialAppAdmin
from allauth.socialaccount.models import SocialApp
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from identity.errors import IdentityError
from identity.models import SignInRequest, SignInScope
from identity.services.signin import signin_request_approve, signin_request_refuse


class SignInScopeInline(admin.StackedInline[SignInScope, SocialApp]):
    model = SignInScope
    can_delete = False
    autocomplete_fields = ["department"]


class ScopedSocialAppAdmin(SocialAppAdmin):
    """allauth's provider admin with the department and domains of each provider."""

    inlines = [SignInScopeInline]


admin.site.unregister(SocialApp)
admin.site.register(SocialApp, ScopedSocialAppAdmin)


@admin.register(SignInRequest)
class SignInRequestAdmin(admin.ModelAdmin[SignInRequest]):
    list_display = ["email", "name", "provider", "department", "status", "created_at"]
    list_filter = ["status", "provider", "department"]
    search_fields = ["email", "name", "uid"]
    readonly_fields = [
        "provider",
        "uid",
        "email",
        "name",
        "department",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
    ]
    raw_id_fields = ["user"]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=gettext_lazy("Approve: link to the chosen account or a new one"))
    def approve(self, request: HttpRequest, queryset: QuerySet[SignInRequest]) -> None:
        assert isinstance(request.user, User)
        for sign_in_request in queryset:
            try:
                user = signin_request_approve(
                    sign_in_request=sign_in_request, decided_by=request.user
                )
            except IdentityError as error:
                self.message_user(request, f"{sign_in_request}: {error}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(email)s may now sign in as %(username)s.")
                % {"email": sign_in_request, "username": user.username},
            )

    @admin.action(description=gettext_lazy("Refuse"))
    def refuse(self, request: HttpRequest, queryset: QuerySet[SignInRequest]) -> None:
        assert isinstance(request.user, User)
        for sign_in_request in queryset:
            try:
                signin_request_refuse(sign_in_request=sign_in_request, decided_by=request.user)
            except IdentityError as error:
                self.message_user(request, f"{sign_in_request}: {error}", messages.ERROR)
