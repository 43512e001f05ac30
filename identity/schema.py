"""The access-token scheme in the OpenAPI document (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer meet_…``, a personal access token."""

    target_class = "identity.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """HTTP bearer, with what a token is and where to make one."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal access token made on /accounts/tokens/ (shown once): "
                "'read' tokens may only read, 'write' tokens act as their person."
            ),
        }
