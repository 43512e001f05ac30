"""REST API authentication by personal access token (``Authorization: Bearer meet_…``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from identity.domain.tokens import looks_like_token, scope_allows, token_digest
from identity.models import AccessToken
from identity.services.tokens import access_token_used


class AccessTokenAuthentication(BaseAuthentication):
    """A token's person, within its scope; other credentials are left to the session."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, AccessToken] | None:
        """The token's person, or None when the request carries no token of ours."""
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            return None
        credential = parts[1].decode("latin-1")
        if not looks_like_token(credential):
            return None
        token = (
            AccessToken.objects.select_related("user")
            .filter(digest=token_digest(credential), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This access token is unknown or revoked."))
        if not scope_allows(token.scope, request.method or "GET"):
            raise exceptions.PermissionDenied(_("This access token may only read."))
        access_token_used(token=token)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        """Answer 401 (not 403) to a request without credentials, naming the scheme."""
        return 'Bearer realm="api"'
