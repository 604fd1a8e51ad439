"""Making Django's CSRF origin check work with ``Referrer-Policy: no-referrer``.

Under that policy browsers send ``Origin: null`` (and no Referer) even on a POST to the same
site, which Django's origin check refuses. ``Sec-Fetch-Site`` — a header pages cannot set —
tells a browser's own same-origin request apart; for those, and only those, this middleware
restores the real origin before Django's unchanged CsrfViewMiddleware runs. The CSRF token
is checked as always; SameSite cookies stay in place.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SameOriginNullOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        if meta.get("HTTP_ORIGIN") == "null" and meta.get("HTTP_SEC_FETCH_SITE") == "same-origin":
            meta["HTTP_ORIGIN"] = f"{request.scheme}://{request.get_host()}"
        return self.get_response(request)
