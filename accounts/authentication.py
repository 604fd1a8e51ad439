"""DRF authentication: organisation API tokens, and browser sessions that passed MFA."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from accounts.models import ApiToken
from accounts.services import token_authenticate


@dataclass(frozen=True)
class TokenClient:
    """Who is calling when an integration presents an API token: its organisation."""

    token: ApiToken
    scopes: frozenset[str] = field(default_factory=frozenset)
    is_authenticated: bool = True
    is_active: bool = True

    @property
    def organization(self) -> Any:
        return self.token.organization

    def is_verified(self) -> bool:
        return True

    def __str__(self) -> str:
        return f"token:{self.token.code}"


class BearerTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenClient, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"{self.keyword} "):
            return None
        token = token_authenticate(header[len(self.keyword) + 1 :].strip())
        if token is None:
            raise exceptions.AuthenticationFailed(_("This API token is not valid or was revoked."))
        return TokenClient(token, frozenset(token.scopes)), token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class VerifiedSessionAuthentication(SessionAuthentication):
    """A browser session counts only once its second factor is done (CSRF enforced)."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, _auth = result
        if not user.is_verified():
            return None
        return result
