from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

API_PREFIX = "/api/"


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
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(404, _("Not found."), "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(500, _("Something went wrong on our side; try again."), "error")
    return defaults.server_error(request)
