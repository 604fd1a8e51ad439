"""Directory API: ``GET /api/v1/search``.

Results are built by :func:`directory.selectors.present` from the search index; the
serializers below describe them for the OpenAPI schema (tests hold responses to it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.models import WEEKDAY_FIELDS, AccessibilityFeature, Category, Phone, Population
from directory.selectors import (
    SearchInvalid,
    SearchPaginator,
    location_search,
    present,
    viewer_organization_ids,
)


class SearchPagination(PageNumberPagination):
    page_size = settings.HAVEN_SEARCH_PAGE_SIZE
    django_paginator_class = SearchPaginator

    def get_page_number(self, request: Any, paginator: Any) -> int:
        raw = request.query_params.get(self.page_query_param, "1")
        if not raw.isdigit() or int(raw) < 1:
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


class SearchResultOutput(serializers.Serializer):
    distance_mi = serializers.FloatField()
    distance_approximate = serializers.BooleanField(
        help_text="True for a confidential location: the distance is in whole miles and "
        "measured from a coarse area, never from the street address."
    )
    open_now = serializers.BooleanField(allow_null=True, help_text="Null: no hours published.")
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
                OpenApiTypes.STR,
                required=True,
                description='A ZIP code ("75201"), a city and state ("Dallas, TX") or '
                'coordinates ("32.78,-96.80"); a street address only where a geocoder is set up.',
            ),
            OpenApiParameter("radius_mi", OpenApiTypes.NUMBER, description="1 to 200, default 25."),
            OpenApiParameter("q", OpenApiTypes.STR, description="Words in a name or description."),
            _enum("category", Category.choices, "Kind of service."),
            _enum("population", Population.choices, "Who the service is for."),
            OpenApiParameter("language", OpenApiTypes.STR, description="ISO 639 code, e.g. es."),
            _enum("accessible", AccessibilityFeature.choices, "An accessibility feature."),
            OpenApiParameter("open_now", OpenApiTypes.BOOL),
            OpenApiParameter("accepts_police_referrals", OpenApiTypes.BOOL),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: SearchPageOutput},
    )
    def get(self, request: Request) -> Response:
        try:
            locations = location_search(filters=request.query_params)
        except SearchInvalid as invalid:
            raise exceptions.ValidationError(
                {invalid.field: [invalid.message]}, code=invalid.code
            ) from None
        paginator = SearchPagination()
        page = paginator.paginate_queryset(locations, request, view=self) or []
        viewers = viewer_organization_ids(request.user)
        return paginator.get_paginated_response(present(page, viewer_organization_ids=viewers))
