"""Directory pages: the search page and a location's listing."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from directory.filters import LocationSearchFilter
from directory.selectors import (
    SearchInvalid,
    location_get_public,
    location_search,
    location_views,
)


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    if "near" not in request.GET:
        return render(request, "directory/search.html", {"form": LocationSearchFilter().form})
    try:
        locations = location_search(filters=request.GET)
    except SearchInvalid as invalid:
        return render(request, "directory/search.html", {"form": invalid.form}, status=400)
    page = Paginator(locations, settings.HAVEN_SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": LocationSearchFilter(request.GET).form,
        "page": page,
        "results": location_views(list(page.object_list)),
        "query": query.urlencode(),
    }
    return render(request, "directory/search.html", context)


@require_safe
def location_detail(request: HttpRequest, code: str) -> HttpResponse:
    location = location_get_public(code=code)
    (view,) = location_views([location])
    return render(request, "directory/location.html", {"view": view})
