from django.contrib import admin

from referrals import crypto
from referrals.models import Notification, OrganizationKey, Referral


@admin.register(OrganizationKey)
class OrganizationKeyAdmin(admin.ModelAdmin):
    """Key ids and states for stewards; the wrapped private key is never shown."""

    list_display = ["organization", "key_id", "fingerprint", "suite", "status", "created_at"]
    list_filter = ["status", "suite"]
    fields = readonly_fields = (
        "organization", "key_id", "fingerprint", "suite", "status", "created_at", "retired_at",
    )  # fmt: skip

    @admin.display(description="fingerprint (SHA-256 of the public key)")
    def fingerprint(self, key: OrganizationKey) -> str:
        return crypto.fingerprint(bytes(key.public_key))

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Coded states only (Tier 1); there is no way to the packet from here."""

    list_display = ["code", "agency", "recipient", "urgency", "status", "created_at"]
    list_filter = ["status", "urgency"]
    fields = readonly_fields = (
        "code", "agency", "recipient", "urgency", "status", "created_at", "decide_by",
        "decided_at", "decline_reason", "withdrawal", "packet_destroyed_at",
    )  # fmt: skip

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["kind", "to", "status", "attempts", "created_at", "sent_at", "delivery"]
    list_filter = ["status", "kind"]
    readonly_fields = ["kind", "to", "subject", "body", "status", "attempts", "created_at",
                       "sent_at", "message_id", "delivery", "last_error"]  # fmt: skip
