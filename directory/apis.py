"""Directory API: ``GET /api/v1/search``.

Results are built by :func:`directory.selectors.present` from the search index; the
serializers below describe them for the OpenAPI schema (tests hold responses to it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import SPACE, StrictInput, links
from config.forms import ERROR_REPEATED
from directory.beds import Freshness
from directory.filters import MAX_QUERY_LENGTH, MAX_QUERY_WORDS
from directory.models import (
    WEEKDAY_FIELDS,
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
    can_see_beds,
    capacity_for_hold,
    capacity_get_for_principal,
    hold_agency_for,
    hold_get_for_principal,
    location_search,
    present,
    viewer_organization_ids,
)
from directory.services import BedConflict, capacity_update, hold_cancel, hold_confirm, hold_place
from geo.places import MAX_NEAR_LENGTH
from idempotency import services as idempotency
from idempotency.services import idempotent

ERROR_BEDS_SIGN_IN = _(
    "Free beds are shown to members of the network. Sign in, or use an API token with "
    "directory:read."
)
ERROR_BEDS_SCOPE = _("This API token may not read bed counts (it needs directory:read).")


class SearchPagination(PageNumberPagination):
    page_size = settings.HAVEN_SEARCH_PAGE_SIZE
    django_paginator_class = SearchPaginator

    def get_page_number(self, request: Any, paginator: Any) -> int:
        if len(request.query_params.getlist(self.page_query_param)) > 1:
            raise exceptions.ValidationError({"page": [ERROR_REPEATED]})
        raw = request.query_params.get(self.page_query_param) or "1"
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {"page": [_("The page must be a whole number from 1 up.")]}
            )
        return int(raw)

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            raise exceptions.NotFound(_("There are no more results.")) from None


class PhoneOutput(serializers.Serializer):
    number = serializers.CharField()
    extension = serializers.CharField()
    type = serializers.ChoiceField(choices=Phone.Type.choices)
    description = serializers.CharField()
    intake = serializers.BooleanField()


class AddressOutput(serializers.Serializer):
    address_1 = serializers.CharField()
    address_2 = serializers.CharField()
    city = serializers.CharField()
    state_province = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()


class ServiceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    populations = serializers.ListField(child=serializers.ChoiceField(choices=Population.choices))
    languages = serializers.ListField(child=serializers.CharField(), help_text="ISO 639 codes.")
    accepts_police_referrals = serializers.BooleanField()
    intake_24_7 = serializers.BooleanField()
    pets_accepted = serializers.BooleanField()
    sobriety_required = serializers.BooleanField()
    id_required = serializers.BooleanField()
    immigration_status_required = serializers.BooleanField()
    minimum_age = serializers.IntegerField(allow_null=True)
    maximum_age = serializers.IntegerField(allow_null=True)
    accompanying_boys_max_age = serializers.IntegerField(allow_null=True)
    max_stay_days = serializers.IntegerField(allow_null=True)
    assured_date = serializers.DateField(allow_null=True)


class OrganizationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class HoursOutput(serializers.Serializer):
    days = serializers.ListField(child=serializers.ChoiceField(choices=WEEKDAY_FIELDS))
    opens_at = serializers.CharField(allow_null=True, help_text="HH:MM local time; null: all day")
    closes_at = serializers.CharField(
        allow_null=True, help_text="HH:MM local time; earlier than opens_at: the next day"
    )
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)


class ExceptionOutput(serializers.Serializer):
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    closed = serializers.BooleanField()
    opens_at = serializers.CharField(allow_null=True)
    closes_at = serializers.CharField(allow_null=True)


class LocationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    url = serializers.CharField(help_text="The listing page.")
    organization = OrganizationOutput()
    confidential = serializers.BooleanField()
    area = serializers.CharField(help_text="City and state.")
    address = AddressOutput(allow_null=True, help_text="Null for a confidential location.")
    latitude = serializers.FloatField(allow_null=True, help_text="Null when confidential.")
    longitude = serializers.FloatField(allow_null=True, help_text="Null when confidential.")
    time_zone = serializers.CharField()
    phones = PhoneOutput(many=True)
    services = ServiceOutput(many=True)
    languages = serializers.ListField(child=serializers.CharField())
    accessibility = serializers.ListField(
        child=serializers.ChoiceField(choices=AccessibilityFeature.choices)
    )
    last_verified = serializers.DateField(allow_null=True)
    hours = HoursOutput(many=True)
    exceptions = ExceptionOutput(many=True, help_text="Holiday closures and special hours.")


class BedOutput(serializers.Serializer):
    id = serializers.UUIDField(help_text="The capacity's id, for holds and updates.")
    population = serializers.ChoiceField(choices=Population.choices)
    status = serializers.ChoiceField(choices=Capacity.Status.choices)
    freshness = serializers.ChoiceField(
        choices=Freshness.choices,
        help_text="fresh < 4 h, aging < 12 h, stale < 24 h, then unknown (numbers withheld).",
    )
    counted_at = serializers.DateTimeField(allow_null=True)
    available = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True)
    occupied = serializers.IntegerField(allow_null=True)
    held = serializers.IntegerField(allow_null=True)


class SearchResultOutput(serializers.Serializer):
    distance_mi = serializers.FloatField()
    distance_approximate = serializers.BooleanField(
        help_text="True for a confidential location: the distance is in whole miles and "
        "measured from a coarse area, never from the street address."
    )
    open_now = serializers.BooleanField(allow_null=True, help_text="Null: no hours published.")
    beds = BedOutput(
        many=True,
        allow_null=True,
        help_text="Members and integrations with directory:read only; null for the public.",
    )
    location = LocationOutput()


class SearchPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchResultOutput(many=True)


def _enum(name: str, choices: list[tuple[str, Any]], description: str) -> OpenApiParameter:
    codes = [code for code, _label in choices]
    return OpenApiParameter(name, OpenApiTypes.STR, enum=codes, description=description)


class LocationSearchApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="search",
        summary="Find services near a place, nearest first",
        parameters=[
            OpenApiParameter(
                "near",
                {"type": "string", "minLength": 1, "maxLength": MAX_NEAR_LENGTH},
                required=True,
                description='A ZIP code ("75201"), a city and state ("Dallas, TX") or '
                'coordinates ("32.78,-96.80"); a street address only where a geocoder is set up. '
                "A place Haven cannot find is a 400 that says so.",
                examples=[
                    OpenApiExample("A ZIP code", value="75201"),
                    OpenApiExample("A city and state", value="Dallas, TX"),
                    OpenApiExample("Coordinates", value="32.78,-96.80"),
                ],
            ),
            OpenApiParameter(
                "radius_mi",
                {"type": "number", "minimum": 1, "maximum": settings.HAVEN_SEARCH_MAX_RADIUS_MI},
                description=f"1 to {settings.HAVEN_SEARCH_MAX_RADIUS_MI}, default "
                f"{settings.HAVEN_SEARCH_DEFAULT_RADIUS_MI}.",
            ),
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": MAX_QUERY_LENGTH},
                description=f"Words in a name or description (the first {MAX_QUERY_WORDS}).",
            ),
            _enum("category", Category.choices, "Kind of service."),
            _enum("population", Population.choices, "Who the service is for."),
            OpenApiParameter(
                "language",
                {"type": "string", "pattern": rf"^[{SPACE}]*[A-Za-z]{{2,3}}[{SPACE}]*$"},
                description="ISO 639 code, e.g. es.",
            ),
            _enum("accessible", AccessibilityFeature.choices, "An accessibility feature."),
            OpenApiParameter("open_now", OpenApiTypes.BOOL),
            OpenApiParameter("accepts_police_referrals", OpenApiTypes.BOOL),
            OpenApiParameter(
                "has_beds",
                OpenApiTypes.BOOL,
                description="Members only: a bed free now for `population` (or any), in a "
                "count recent enough to trust.",
            ),
            OpenApiParameter("page", {"type": "integer", "minimum": 1}),
        ],
        responses={200: SearchPageOutput, 403: None},
    )
    def get(self, request: Request) -> Response:
        viewers = viewer_organization_ids(request.user)
        beds = can_see_beds(request.user, organization_ids=viewers)
        try:
            locations = location_search(filters=request.query_params, can_see_beds=beds)
        except SearchInvalid as invalid:
            raise exceptions.ValidationError(
                {invalid.field: [invalid.message]}, code=invalid.code
            ) from None
        except BedsForMembersOnly:
            if not request.user.is_authenticated:
                raise exceptions.NotAuthenticated(ERROR_BEDS_SIGN_IN) from None
            raise exceptions.PermissionDenied(ERROR_BEDS_SCOPE) from None
        paginator = SearchPagination()
        page = paginator.paginate_queryset(locations, request, view=self) or []
        results = present(page, viewer_organization_ids=viewers, show_beds=beds)
        return paginator.get_paginated_response(results)


# --- Beds and holds -------------------------------------------------------------------------

SHELTER_ROLES = (Membership.Role.CASEWORKER, Membership.Role.ORG_ADMIN)
AGENCY_ROLES = (Membership.Role.OFFICER, Membership.Role.ORG_ADMIN)


class Conflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


def _conflict(error: BedConflict) -> Conflict:
    return Conflict(detail=error.message, code=error.code)


class CapacityOutput(serializers.Serializer):
    id = serializers.UUIDField(source="code")
    location = serializers.UUIDField(source="location.code")
    population = serializers.ChoiceField(choices=Population.choices)
    status = serializers.ChoiceField(choices=Capacity.Status.choices)
    total = serializers.IntegerField()
    occupied = serializers.IntegerField()
    held = serializers.IntegerField()
    available = serializers.IntegerField()
    counted_at = serializers.DateTimeField(allow_null=True)


class CapacityUpdateInput(StrictInput):
    total = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    occupied = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    status = serializers.ChoiceField(choices=Capacity.Status.choices, required=False)


class CapacityDetailApi(APIView):
    @extend_schema(
        operation_id="capacity_get",
        responses={200: CapacityOutput},
        extensions=links(200, "capacity_update"),
    )
    def get(self, request: Request, code: str) -> Response:
        capacity = capacity_get_for_principal(user=request.user, code=code)
        acting_for(
            request.user,
            capacity.location.organization,
            roles=SHELTER_ROLES,
            scope="capacity:write",
        )
        return Response(CapacityOutput(capacity).data)

    @extend_schema(
        operation_id="capacity_update",
        summary="Update a shelter's bed counts (any of total, occupied, status)",
        request=CapacityUpdateInput,
        responses={200: CapacityOutput, 409: None},
        extensions=links(200, "capacity_get"),
    )
    def post(self, request: Request, code: str) -> Response:
        capacity = capacity_get_for_principal(user=request.user, code=code)
        by = acting_for(
            request.user,
            capacity.location.organization,
            roles=SHELTER_ROLES,
            scope="capacity:write",
        )
        data = _valid(CapacityUpdateInput, request)
        try:
            capacity = capacity_update(capacity=capacity, by=by, source=Capacity.Source.API, **data)
        except BedConflict as error:
            raise _conflict(error) from None
        return Response(CapacityOutput(capacity).data)


class HoldOutput(serializers.Serializer):
    id = serializers.UUIDField(source="code")
    status = serializers.ChoiceField(choices=Hold.Status.choices)
    location = serializers.UUIDField(source="capacity.location.code")
    location_name = serializers.CharField(source="capacity.location.name")
    population = serializers.ChoiceField(source="capacity.population", choices=Population.choices)
    agency = serializers.UUIDField(source="agency.code")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class HoldPlaceInput(StrictInput):
    location = serializers.UUIDField()
    population = serializers.ChoiceField(choices=Population.choices)
    agency = serializers.UUIDField(
        required=False, help_text="Only for someone in several agencies."
    )


class HoldPlaceApi(APIView):
    @extend_schema(
        operation_id="hold_place",
        summary="Hold a free bed (no survivor data); 409 when none is free",
        request=HoldPlaceInput,
        responses={201: HoldOutput, 409: None, 422: None},
        parameters=[idempotency.KEY_PARAMETER],
        extensions=links(201, "hold_get", "hold_cancel", "hold_confirm"),
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = _valid(HoldPlaceInput, request)
        agency = hold_agency_for(request.user, str(data.get("agency") or "") or None)
        placed_by = acting_for(request.user, agency, roles=AGENCY_ROLES, scope="holds:write")
        capacity = capacity_for_hold(location_code=data["location"], population=data["population"])
        try:
            hold = hold_place(capacity=capacity, agency=agency, placed_by=placed_by)
        except BedConflict as error:
            raise _conflict(error) from None
        return Response(HoldOutput(hold).data, status=201)


class HoldDetailApi(APIView):
    @extend_schema(
        operation_id="hold_get",
        responses={200: HoldOutput},
        extensions=links(200, "hold_cancel", "hold_confirm"),
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(HoldOutput(hold_get_for_principal(user=request.user, code=code)).data)


class HoldCancelApi(APIView):
    @extend_schema(
        operation_id="hold_cancel",
        request=None,
        responses={200: HoldOutput, 409: None},
        extensions=links(200, "hold_get", "hold_confirm"),
    )
    def post(self, request: Request, code: str) -> Response:
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
        try:
            return Response(HoldOutput(hold_cancel(hold=hold)).data)
        except BedConflict as error:
            raise _conflict(error) from None


class HoldConfirmApi(APIView):
    @extend_schema(
        operation_id="hold_confirm",
        summary="The person arrived: the held bed becomes occupied",
        request=None,
        responses={200: HoldOutput, 409: None},
        extensions=links(200, "hold_get", "hold_cancel"),
    )
    def post(self, request: Request, code: str) -> Response:
        hold = hold_get_for_principal(user=request.user, code=code)
        acting_for(
            request.user,
            hold.capacity.location.organization,
            roles=SHELTER_ROLES,
            scope="capacity:write",
        )
        try:
            return Response(HoldOutput(hold_confirm(hold=hold)).data)
        except BedConflict as error:
            raise _conflict(error) from None
