"""The audit log: an append-only, hash-chained record of security events.

Each event's hash covers the previous event's hash and its own canonical content, so editing,
deleting or reordering any event breaks the chain at that point (``manage.py audit_verify``).
Events name people and objects by opaque codes only — never survivor data, never free text.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True, editable=False)
    created_at = models.DateTimeField(editable=False)
    action = models.CharField(max_length=64, db_index=True)
    actor = models.CharField(max_length=64, blank=True, help_text=_("user:<code>, token:<code>…"))
    organization = models.CharField(max_length=36, blank=True, db_index=True)
    target = models.CharField(max_length=100, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"


class AuditHead(models.Model):
    """The newest link of the chain, one row, locked by every append.

    The lock serialises concurrent appends into one chain; the stored head also reveals a
    deleted tail, which the chain alone could not.
    """

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(name="audit_head_singleton", condition=models.Q(id=1))
        ]

    def __str__(self) -> str:
        return f"head #{self.sequence}"
