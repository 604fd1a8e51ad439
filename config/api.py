"""API plumbing shared by every app: the error format ``{"detail": ..., "code": ...}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

ERROR_NOT_TEXT = _("Must be text, in quotes.")
ERROR_NOT_WHOLE_NUMBER = _("Must be a whole number, without quotes.")
ERROR_NOT_BOOLEAN = _("Must be true or false, without quotes.")
ERROR_NOT_LIST = _("Must be a list, in square brackets.")
ERROR_NOT_OBJECT = _("Must be an object, in curly brackets.")


def _json_type_error(field: serializers.Field, value: Any) -> str | None:
    """Why ``value`` is the wrong JSON type for ``field``, or None.

    DRF converts generously ("2" → 2, 1 → "1", "yes" → True, an integer → a UUID); a JSON
    body says what type it means, and the API holds it to the one its schema documents.
    """
    if value is None:
        return None  # allow_null decides, with DRF's own message
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else str(ERROR_NOT_BOOLEAN)
    if isinstance(field, serializers.IntegerField):
        whole = isinstance(value, int) and not isinstance(value, bool)
        return None if whole else str(ERROR_NOT_WHOLE_NUMBER)
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return str(ERROR_NOT_LIST)
        return next(filter(None, (_json_type_error(field.child, item) for item in value)), None)
    if isinstance(field, serializers.BaseSerializer):
        return None if isinstance(value, dict) else str(ERROR_NOT_OBJECT)
    textual = (serializers.CharField, serializers.ChoiceField, serializers.UUIDField,
               serializers.DateTimeField, serializers.DateField)  # fmt: skip
    if isinstance(field, textual) and not isinstance(value, str):
        return str(ERROR_NOT_TEXT)
    return None


class StrictInput(serializers.Serializer):
    """An API request body: each field must have the JSON type its schema says."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            wrong = {
                name: [problem]
                for name, field in self.fields.items()
                if name in data and (problem := _json_type_error(field, data[name]))
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


def _first_message(detail: Any, field: str = "") -> tuple[str, str, str]:
    """Flatten DRF's nested error details to one sentence, its code and the field it is about."""
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], field)
    if isinstance(detail, dict) and detail:
        name, inner = next(iter(detail.items()))
        if name in ("non_field_errors", "detail"):
            name = ""
        return _first_message(inner, f"{field}.{name}" if field and name else name or field)
    return str(detail), getattr(detail, "code", "invalid"), field


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = BodyTooLarge(_("The body is larger than %(limit)d bytes.") % {"limit": limit})
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail, code, field = _first_message(exc.detail)
    body: dict[str, Any] = {"detail": detail, "code": code}
    if field:
        body["field"] = field
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        body["errors"] = exc.get_full_details()
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and hasattr(exc, "wait"):
        body["retry_after_seconds"] = exc.wait
    response.data = body
    return response


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the API returns.",
    "properties": {
        "detail": {
            "type": "string",
            "description": "What went wrong, in words a person can act on.",
        },
        "code": {"type": "string", "description": "A stable, machine-readable code."},
        "field": {"type": "string", "description": "The parameter or field at fault."},
        "errors": {"type": "object", "description": "Every problem, per field."},
        "retry_after_seconds": {"type": "number"},
    },
    "required": ["detail", "code"],
}
ERROR_RESPONSES = {
    "400": "The request cannot be answered as sent; `detail` says what to change.",
    "404": "Not found, or not yours.",
    "429": "Too many requests; wait and try again.",
    "503": "The database could not be reached; nothing was saved. Retry after `Retry-After`.",
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: document the one error format on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status_code, description in ERROR_RESPONSES.items():
                responses.setdefault(
                    status_code, {"description": description, "content": reference}
                )
    return result
