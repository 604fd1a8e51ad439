"""API plumbing shared by every app: the error format ``{"detail": ..., "code": ...}``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

ERROR_NOT_TEXT = _("Must be text, in quotes.")
ERROR_NOT_WHOLE_NUMBER = _("Must be a whole number, without quotes.")
ERROR_NOT_BOOLEAN = _("Must be true or false, without quotes.")
ERROR_NOT_LIST = _("Must be a list, in square brackets.")
ERROR_NOT_OBJECT = _("Must be an object, in curly brackets.")
ERROR_UNKNOWN_FIELD = _("This request takes no field of this name.")


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
    """An API request body: only the fields its schema names, each of the JSON type the
    schema says. A field the request does not take is refused, not ignored: a misspelt
    "recipeint" must not pass as a request that left the recipient out."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            wrong: dict[str, list[str]] = {
                str(name)[:40]: [str(ERROR_UNKNOWN_FIELD)]
                for name in data
                if name not in self.fields
            }
            wrong.update(
                (name, [problem])
                for name, field in self.fields.items()
                if name in data and (problem := _json_type_error(field, data[name]))
            )
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)


class StrictInputSchema(OpenApiSerializerExtension):
    """The schema says what StrictInput enforces: no properties beyond the named ones."""

    target_class = StrictInput
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


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
    "401": "Not signed in with both factors, or the API token is not valid or was revoked.",
    "403": "Signed in, but this role or token scope may not do this here (a browser session's "
    "change also needs its CSRF token).",
    "404": "Not found, or not yours.",
    "409": "The current state does not allow this; `detail` says why.",
    "415": "The body must be JSON (`Content-Type: application/json`).",
    "422": "The request cannot be carried out as sent; `detail` says why.",
    "429": "Too many requests; wait and try again.",
    "503": "The database could not be reached; nothing was saved. Retry after `Retry-After`.",
}
# What any request may be answered with: bad input, a bad API token, no such thing, too many.
EVERY_OPERATION = ("400", "401", "404", "429")
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}


# Django's and DRF's text fields strip white space before they check anything, and refuse a
# NUL character: the patterns below say the same. The white space is Python's (str.strip),
# which is no regex engine's \s.
SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def text_pattern(min_length: int = 0) -> str:
    """Text without NUL that is at least ``min_length`` long once stripped."""
    if min_length <= 0:
        return r"^[^\x00]*$"
    if min_length == 1:
        return rf"^[^\x00]*[^{SPACE}\x00][^\x00]*$"
    middle = rf"[^\x00]{{{min_length - 2},}}"
    return rf"^[{SPACE}]*[^{SPACE}\x00]{middle}[^{SPACE}\x00][{SPACE}]*$"


def _describe_text(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & schema.keys():
        schema["pattern"] = text_pattern(schema.get("minLength", 0))
    for inner in schema.get("properties", {}).values():
        _describe_text(inner)
    if isinstance(schema.get("items"), dict):
        _describe_text(schema["items"])


def links(status: int, *operation_ids: str, parameter: str = "code") -> dict[str, Any]:
    """OpenAPI links from an answer to the operations its ``id`` is the ``parameter`` of, for
    ``extend_schema(extensions=...)``: add_error_responses moves them into the response."""
    return {
        "x-links": {str(status): {op: {parameter: "$response.body#/id"} for op in operation_ids}}
    }


def _move_links(operation: dict[str, Any]) -> None:
    for status_code, targets in operation.pop("x-links", {}).items():
        response = operation["responses"][status_code]
        response["links"] = {
            target: {"operationId": target, "parameters": parameters}
            for target, parameters in targets.items()
        }


def _signed_in_only(operation: dict[str, Any]) -> bool:
    security = operation.get("security") or []
    return bool(security) and {} not in security


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: document the one error format on every operation.

    Every operation may answer 400, 401, 404 and 429; those open only to members also 403,
    and those reading a body 415. Codes a view declares itself (409, 422, …, declared as
    ``None``) get the error format too. An optional query parameter sent empty is the same as
    leaving it out (as an HTML form sends it), so the schema allows empty values; text is
    described as it is checked (stripped, without NUL). Links declared with :func:`links`
    take their place in the responses.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in schemas.items():
        if name.endswith("Request"):  # what clients send (COMPONENT_SPLIT_REQUEST)
            _describe_text(schema)
    schemas["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            codes = list(EVERY_OPERATION)
            if _signed_in_only(operation):
                codes.append("403")
            if "requestBody" in operation:
                codes.append("415")
            for status_code in codes:
                responses.setdefault(status_code, {})
            for status_code, response in responses.items():
                if status_code in ERROR_RESPONSES and "content" not in response:
                    response["description"] = ERROR_RESPONSES[status_code]
                    response["content"] = reference
            if "429" in responses:
                responses["429"].setdefault("headers", RETRY_AFTER)
            _move_links(operation)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
                if parameter.get("in") == "query":
                    _describe_text(parameter["schema"])
    return result
