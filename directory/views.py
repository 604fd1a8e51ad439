"""Directory pages: the search page and a location's listing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.paginator import InvalidPage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from config.forms import one_value
from directory.beds import beds_for_locations
from directory.filters import LocationSearchFilter
from directory.forms import HoldPlaceForm
from directory.languages import language_name
from directory.models import (
    WEEKDAY_FIELDS,
    WEEKDAY_LABELS,
    AccessibilityFeature,
    Capacity,
    Category,
    Hold,
    Membership,
    Phone,
    Population,
)
from directory.selectors import (
    BedsForMembersOnly,
    SearchInvalid,
    SearchPaginator,
    acting_for,
    can_place_holds,
    can_see_beds,
    capacity_for_hold,
    capacity_get_for_principal,
    hold_agency_for,
    hold_get_for_principal,
    holds_for,
    location_get_public,
    location_search,
    present,
    shelter_capacities,
    user_has_second_factor,
    user_is_verified,
    viewer_organization_ids,
)
from directory.services import (
    BedConflict,
    capacity_update,
    hold_cancel,
    hold_confirm,
    hold_place,
)


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    viewers = viewer_organization_ids(request.user)
    beds = can_see_beds(request.user, organization_ids=viewers)
    if not request.GET.keys() & LocationSearchFilter.base_filters.keys():
        # No search asked yet (a ?page= or ?next= alone is no question either).
        context = {"form": LocationSearchFilter().form, "show_beds": beds}
        return render(request, "directory/search.html", context)
    try:
        locations = location_search(filters=request.GET, can_see_beds=beds)
    except SearchInvalid as invalid:
        context = {"form": invalid.form, "show_beds": beds}
        return render(request, "directory/search.html", context, status=400)
    except BedsForMembersOnly:
        return redirect_to(request, "accounts:sign-in", request.get_full_path())
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
                viewer_organization_ids=viewers,
                show_beds=beds,
            )
        ],
        "query": query.urlencode(),
        "show_beds": beds,
        "can_hold": can_place_holds(request.user),
    }
    return render(request, "directory/search.html", context)


@require_safe
def location_detail(request: HttpRequest, code: str) -> HttpResponse:
    viewers = viewer_organization_ids(request.user)
    beds = can_see_beds(request.user, organization_ids=viewers)
    (result,) = present(
        [location_get_public(code=code)], viewer_organization_ids=viewers, show_beds=beds
    )
    context = {"result": _readable(result), "can_hold": can_place_holds(request.user)}
    return render(request, "directory/location.html", context)


View = Callable[..., HttpResponse]


def verified_required(view: View) -> View:
    """Signed in with both factors; otherwise on to whichever step is missing (signing in,
    the authenticator's code, or setting one up), and back here after. Every staff page of
    every app goes through this one gate."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_is_verified(request.user):
            return redirect_to(request, _missing_step(request.user), request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _missing_step(user: Any) -> str:
    if not user.is_authenticated:
        return "accounts:sign-in"
    return "accounts:verify" if user_has_second_factor(user) else "accounts:mfa-setup"


def redirect_to(request: HttpRequest, name: str, next_url: str = "") -> HttpResponseRedirect:
    """To the named page, with ``next`` when it is a page of this site."""
    url = reverse(name)
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        url += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(url)


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
    if result.get("beds") is not None:
        result = {**result, "beds": [_readable_bed(bed) for bed in result["beds"]]}
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


def _readable_bed(bed: dict[str, Any]) -> dict[str, Any]:
    return {
        **bed,
        "population_label": Population(bed["population"]).label,
        "status_label": Capacity.Status(bed["status"]).label,
        "known": bed["available"] is not None,
    }


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


# --- Beds and holds -------------------------------------------------------------------------

SHELTER_ROLES = (Membership.Role.CASEWORKER, Membership.Role.ORG_ADMIN)
AGENCY_ROLES = (Membership.Role.OFFICER, Membership.Role.ORG_ADMIN)
ADJUSTMENTS = {"occupied:-1", "occupied:+1", "total:-1", "total:+1"}


@require_POST
@verified_required
def hold_place_view(request: HttpRequest) -> HttpResponse:
    form = HoldPlaceForm(request.POST)
    if not form.is_valid():
        # Hidden fields the listing's button sends: wrong ones were not typed by anyone.
        raise BadRequest("hold: " + ", ".join(form.errors))
    data = form.cleaned_data
    agency = hold_agency_for(request.user, str(data["agency"]) if data["agency"] else None)
    placed_by = acting_for(request.user, agency, roles=AGENCY_ROLES, scope="holds:write")
    capacity = capacity_for_hold(location_code=data["location"], population=data["population"])
    try:
        hold = hold_place(capacity=capacity, agency=agency, placed_by=placed_by)
    except BedConflict as error:
        messages.error(request, error.message)
        return redirect(capacity.location.get_absolute_url())
    return redirect("directory:hold", code=hold.code)


@require_safe
@verified_required
def hold_detail(request: HttpRequest, code: str) -> HttpResponse:
    hold = hold_get_for_principal(user=request.user, code=code)
    mine = viewer_organization_ids(request.user)
    context = {
        "hold": hold,
        "active": hold.is_active(),
        "agency_side": hold.agency_id in mine,
        "shelter_side": hold.capacity.location.organization_id in mine,
    }
    return render(request, "directory/hold.html", context)


@require_POST
@verified_required
def hold_cancel_view(request: HttpRequest, code: str) -> HttpResponse:
    hold = hold_get_for_principal(user=request.user, code=code)
    if hold.agency_id in viewer_organization_ids(request.user):
        acting_for(request.user, hold.agency, roles=AGENCY_ROLES, scope="holds:write")
    else:
        acting_for(
            request.user,
            hold.capacity.location.organization,
            roles=SHELTER_ROLES,
            scope="capacity:write",
        )
    return _end_hold(request, hold, hold_cancel, _("Hold cancelled; the bed is free again."))


@require_POST
@verified_required
def hold_confirm_view(request: HttpRequest, code: str) -> HttpResponse:
    hold = hold_get_for_principal(user=request.user, code=code)
    acting_for(
        request.user,
        hold.capacity.location.organization,
        roles=SHELTER_ROLES,
        scope="capacity:write",
    )
    done = _("Arrival confirmed; the bed is now occupied.")
    return _end_hold(request, hold, hold_confirm, done)


def _end_hold(
    request: HttpRequest, hold: Hold, action: Callable[..., Hold], done: str
) -> HttpResponse:
    try:
        action(hold=hold)
    except BedConflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("directory:hold", code=hold.code)


@require_safe
@verified_required
def holds_list(request: HttpRequest) -> HttpResponse:
    holds = list(holds_for(request.user)[:100])
    now = timezone.now()
    context = {
        "active": [h for h in holds if h.is_active(now)],
        "ended": [h for h in holds if not h.is_active(now)],
    }
    return render(request, "directory/holds.html", context)


@require_safe
@verified_required
def beds_page(request: HttpRequest) -> HttpResponse:
    capacities = list(shelter_capacities(request.user))
    counts = beds_for_locations({c.location_id for c in capacities}, at=timezone.now())
    by_code = {bed.code: bed for beds in counts.values() for bed in beds}
    rows = [(capacity, by_code[str(capacity.code)]) for capacity in capacities]
    holds = [h for h in holds_for(request.user) if h.is_active() and h.capacity in capacities]
    context = {"rows": rows, "holds": holds, "statuses": Capacity.Status.choices}
    return render(request, "directory/beds.html", context)


@require_POST
@verified_required
def beds_update(request: HttpRequest, code: str) -> HttpResponse:
    """One tap, one change: − / + on occupied or total, a new status, or "still right"."""
    capacity = capacity_get_for_principal(user=request.user, code=code)
    by = acting_for(
        request.user,
        capacity.location.organization,
        roles=SHELTER_ROLES,
        scope="capacity:write",
    )
    change: dict[str, Any] = {}
    adjust, status = one_value(request.POST, "adjust"), one_value(request.POST, "status")
    if adjust in ADJUSTMENTS:
        field, step = adjust.split(":")
        change[field] = max(0, getattr(capacity, field) + int(step))
    elif status in Capacity.Status.values:
        change["status"] = status
    elif "confirm" not in request.POST:
        messages.error(request, _("Nothing to change. Use − or +, or confirm the counts."))
        return _beds_redirect(status=400)
    try:
        capacity_update(capacity=capacity, by=by, source=Capacity.Source.WEB, **change)
    except BedConflict as error:
        messages.error(request, error.message)
        return _beds_redirect(status=409)
    messages.success(request, _("Saved. Thank you — officers see it now."))
    return _beds_redirect()


def _beds_redirect(status: int = 302) -> HttpResponse:
    response = redirect("directory:beds")
    if status != 302:
        # Post/redirect/get still; the status tells scripts and tests it did not save.
        response.status_code = 303
        response["X-Haven-Outcome"] = str(status)
    return response
