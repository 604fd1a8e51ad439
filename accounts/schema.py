"""How the API's two ways of signing in appear in the OpenAPI schema (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API token: `Authorization: Bearer hvn_…`. "
            "Each token carries scopes (directory:read, holds:write, referrals:write, …).",
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.VerifiedSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "A browser session signed in with password and second factor; "
            "state-changing requests also need the CSRF token.",
        }
