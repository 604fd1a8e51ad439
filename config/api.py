"""API plumbing shared by every app: the error format ``{"detail": ..., "code": ...}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
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
