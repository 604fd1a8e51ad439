"""API rate limits: per address for the public, per account, per token."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.authentication import TokenClient


class AnonymousThrottle(SimpleRateThrottle):
    scope = "anonymous"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class MemberThrottle(SimpleRateThrottle):
    scope = "member"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not user or not user.is_authenticated or isinstance(user, TokenClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class TokenThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.user, TokenClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.token.pk}
