from __future__ import annotations

from django.db import models


class IdempotencyKey(models.Model):
    """The answer given to a POST sent with an ``Idempotency-Key``, kept so a retry gets the
    same answer instead of doing the thing twice. Responses kept here hold codes and states,
    never survivor data (the APIs that use this return none)."""

    principal = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=200)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
