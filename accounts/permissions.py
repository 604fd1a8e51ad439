from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.authentication import TokenClient


class IsVerifiedMember(BasePermission):
    """A person signed in with both factors, or an integration with a valid token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_verified())


def has_scope(request: Request, scope: str) -> bool:
    """Tokens act only within their scopes; people act by their role (checked by services)."""
    user = request.user
    if isinstance(user, TokenClient):
        return scope in user.scopes
    return bool(user and user.is_authenticated)
