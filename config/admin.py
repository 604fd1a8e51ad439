"""The Django admin, for network stewards only, and only after their second factor."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class HavenAdminSite(OTPAdminSite):
    site_header = _("Haven network administration")
    site_title = _("Haven administration")
    index_title = _("Network stewardship")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and user.is_verified())

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """Stewards sign in like everyone else: password, then their authenticator."""
        target = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('accounts:sign-in')}?{urlencode({'next': target})}")
