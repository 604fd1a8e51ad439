"""Project-wide views: the health check and the answers given when something fails."""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

API_PREFIX = "/api/"
# Seconds after which a client may try again when the database was unreachable.
RETRY_AFTER_SECONDS = 5


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: answers 200 once the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def _api_error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


# Errors Django answers before a DRF view runs (an address no route matches, such as an id
# that is not a UUID) or after one failed: under /api/ they keep the API's JSON error format.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(400, _("The request could not be read."), "bad_request")
    return _page("400.html", 400)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(404, _("Not found."), "not_found")
    return _page("404.html", 404)


def _page(template: str, status: int, context: dict[str, object] | None = None) -> HttpResponse:
    """An error page for people. Rendered without the request context (see server_error),
    and with the quick exit: whoever reached it may need to leave at once."""
    context = {"quick_exit_url": settings.HAVEN_QUICK_EXIT_URL, **(context or {})}
    return HttpResponse(render_to_string(template, context), status=status)


def _database_unreachable() -> bool:
    """True when the request failed because the database connection broke (a restart, a
    fail-over, a killed backend): the transaction was rolled back, so nothing of the request
    was written, and the next request reconnects."""
    error = sys.exc_info()[1]
    while error is not None:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error = error.__cause__ or error.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``. Renders without the request context on purpose: the context processors
    read the database, which may be what failed. A lost database connection is a 503 that
    tells the person their action did not happen and to try again."""
    unreachable = _database_unreachable()
    status = 503 if unreachable else 500
    if unreachable:
        detail = _(
            "Haven lost its connection to the database, so nothing you sent was saved. "
            "Try again in a few seconds."
        )
        code = "database_unavailable"
    else:
        detail = _("Something went wrong on our side, and nothing was saved. Please try again.")
        code = "server_error"
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = _api_error(status, detail, code)
    else:
        response = _page("500.html", status, {"detail": detail, "status": status})
    if unreachable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
