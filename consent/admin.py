"""Consents in the stewards' admin: read-only, and nothing a survivor said is there to read."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from consent.models import Consent, ConsentEvent, Disclosure


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnly):
    list_display = ["code", "recipient", "status", "valid_from", "expires_at", "method"]
    list_filter = ["status", "method"]
    exclude = ["signature_digest", "receipt"]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnly):
    list_display = ["consent", "kind", "how", "at"]
    list_filter = ["kind", "how"]


@admin.register(Disclosure)
class DisclosureAdmin(ReadOnly):
    list_display = ["consent", "kind", "organization", "at"]
    list_filter = ["kind"]
