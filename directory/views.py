"""Directory pages: the search page and a location's listing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from directory.filters import LocationSearchFilter
from directory.languages import language_name
from directory.models import (
    WEEKDAY_FIELDS,
    WEEKDAY_LABELS,
    AccessibilityFeature,
    Category,
    Phone,
    Population,
)
from directory.selectors import (
    SearchInvalid,
    SearchPaginator,
    location_get_public,
    location_search,
    present,
    viewer_organization_ids,
)


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    if "near" not in request.GET:
        return render(request, "directory/search.html", {"form": LocationSearchFilter().form})
    try:
        locations = location_search(filters=request.GET)
    except SearchInvalid as invalid:
        return render(request, "directory/search.html", {"form": invalid.form}, status=400)
    paginator = SearchPaginator(locations, settings.HAVEN_SEARCH_PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        page = paginator.page(1)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": LocationSearchFilter(request.GET).form,
        "page": page,
        "results": [
            _readable(result)
            for result in present(
                list(page.object_list),
                viewer_organization_ids=viewer_organization_ids(request.user),
            )
        ],
        "query": query.urlencode(),
    }
    return render(request, "directory/search.html", context)


@require_safe
def location_detail(request: HttpRequest, code: str) -> HttpResponse:
    viewers = viewer_organization_ids(request.user)
    (result,) = present([location_get_public(code=code)], viewer_organization_ids=viewers)
    return render(request, "directory/location.html", {"result": _readable(result)})


def _readable(result: dict[str, Any]) -> dict[str, Any]:
    """Labels in the reader's language, for a result built from codes."""
    card = dict(result["location"])
    card["services"] = [
        {
            **service,
            "category_label": Category(service["category"]).label,
            "population_labels": [Population(p).label for p in service["populations"]],
            "language_names": [language_name(code) for code in service["languages"]],
        }
        for service in card["services"]
    ]
    card["phones"] = [
        {**phone, "tel": _tel(phone), "type_label": Phone.Type(phone["type"]).label}
        for phone in card["phones"]
    ]
    card["accessibility_labels"] = [AccessibilityFeature(a).label for a in card["accessibility"]]
    card["hours_lines"] = [_hours_line(hours) for hours in card["hours"]]
    today = timezone.localdate().isoformat()
    card["closure_lines"] = [
        _closure_line(exception)
        for exception in card["exceptions"]
        if exception["end_date"] >= today
    ]
    if card["last_verified"]:
        card["last_verified"] = date.fromisoformat(card["last_verified"])
    if card["latitude"] is not None:
        card["directions_url"] = (
            "https://www.openstreetmap.org/directions?to="
            f"{card['latitude']:.6f}%2C{card['longitude']:.6f}"
        )
    return {**result, "location": card}


def _tel(phone: dict[str, Any]) -> str:
    digits = "".join(c for c in phone["number"] if c.isdigit() or c == "+")
    return f"tel:{digits}" + (f",{phone['extension']}" if phone["extension"] else "")


def _day_ranges(days: list[str]) -> str:
    """["mon", "tue", "wed", "fri"] → "Mon–Wed, Fri"."""
    indexes = sorted(WEEKDAY_FIELDS.index(day) for day in days)
    runs: list[list[int]] = []
    for index in indexes:
        if runs and index == runs[-1][-1] + 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    labels = [str(WEEKDAY_LABELS[day]) for day in WEEKDAY_FIELDS]
    return ", ".join(
        labels[run[0]] if len(run) == 1 else f"{labels[run[0]]}–{labels[run[-1]]}" for run in runs
    )


def _closure_line(exception: dict[str, Any]) -> str:
    start = date_format(date.fromisoformat(exception["start_date"]))
    end = date_format(date.fromisoformat(exception["end_date"]))
    when = start if start == end else f"{start} – {end}"
    if exception["closed"]:
        return _("Closed %(when)s") % {"when": when}
    if exception["opens_at"] is None:
        return _("Open all day %(when)s") % {"when": when}
    return _("%(when)s: open %(opens)s–%(closes)s") % {
        "when": when, "opens": exception["opens_at"], "closes": exception["closes_at"],
    }  # fmt: skip


def _hours_line(hours: dict[str, Any]) -> str:
    when = _("Every day") if len(hours["days"]) == 7 else _day_ranges(hours["days"])
    if hours["opens_at"] is None:
        return _("%(days)s: open all day") % {"days": when}
    return f"{when}: {hours['opens_at']}–{hours['closes_at']}"
