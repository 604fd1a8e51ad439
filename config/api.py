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
