"""``Idempotency-Key`` for API POSTs that create things (a retried request does it once)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# Printable ASCII without spaces: what a UUID or any generated key is made of, and nothing a
# database or a log would mangle (a NUL, a line break).
KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")
ERROR_KEY = _("Use 1 to 255 letters, digits or punctuation marks, such as a UUID.")

# How views taking a key document it (their responses add 409 and 422 for it).
KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": f"^{KEY.pattern}$"},
    OpenApiParameter.HEADER,
    description="Any unique text without spaces, such as a UUID: a retry with the same key and "
    "body gets the first answer again, and does nothing twice (kept 24 hours). The same key "
    "with another body is a 422; while the first request is still running, a 409.",
)


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used for a different request.")
    default_code = "idempotency_key_reused"


class KeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being handled; retry soon.")
    default_code = "idempotency_key_in_flight"


def _principal(request: Request) -> str:
    return str(request.user) if not hasattr(request.user, "code") else f"user:{request.user.code}"


def _digest(request: Request) -> str:
    """A keyed digest of the request: enough to tell a retry from a different request, and
    useless for guessing what a body held (a referral's carries survivor details)."""
    body = json.dumps(request.data, sort_keys=True, default=str)
    value = f"{request.method} {request.path}\n{body}"
    return salted_hmac("haven.idempotency", value, algorithm="sha256").hexdigest()


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Wrap an APIView's ``post``: the first answer to a key is kept for 24 hours (what it did
    and the answer commit together) and given again to any retry with the same body."""

    @functools.wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view(self, request, *args, **kwargs)
        if not KEY.fullmatch(key):
            raise exceptions.ValidationError({HEADER: [ERROR_KEY]})
        principal, digest = _principal(request), _digest(request)
        kept = IdempotencyKey.objects.filter(principal=principal, key=key).first()
        if kept is not None:
            if kept.created_at >= timezone.now() - KEEP_FOR:
                if kept.request_digest != digest:
                    raise KeyReused
                return Response(kept.response, status=kept.status_code)
            kept.delete()  # past its keeping time: the key may be used afresh
        try:
            with transaction.atomic():
                response = view(self, request, *args, **kwargs)
                if response.status_code < 500:
                    IdempotencyKey.objects.create(
                        principal=principal, key=key, endpoint=request.path[:200],
                        request_digest=digest, status_code=response.status_code,
                        response=response.data,
                    )  # fmt: skip
        except IntegrityError:
            raise KeyInFlight from None
        return response

    return wrapper


def idempotency_keys_sweep() -> int:
    """Forget keys past their keeping time (``manage.py sweep_idempotency_keys``)."""
    deleted, _rows = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - KEEP_FOR
    ).delete()
    return deleted
