"""Directory API: ``GET /api/v1/search``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.models import AccessibilityFeature, Category, Population
from directory.selectors import SearchInvalid, location_search, location_views


class SearchPagination(PageNumberPagination):
    page_size = settings.HAVEN_SEARCH_PAGE_SIZE

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
    type = serializers.CharField()
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
    id = serializers.UUIDField(source="code")
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.ChoiceField(choices=Category.choices)
    populations = serializers.SerializerMethodField()
    languages = serializers.SerializerMethodField()
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

    def get_populations(self, service: Any) -> list[str]:
        return sorted(p.population for p in service.populations.all())

    def get_languages(self, service: Any) -> list[str]:
        return sorted({lang.iso_code for lang in service.languages.all()})


class OrganizationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="code")
    name = serializers.CharField()


class LocationOutput(serializers.Serializer):
    id = serializers.UUIDField(source="location.code")
    name = serializers.CharField(source="location.name")
    organization = OrganizationOutput(source="location.organization")
    confidential = serializers.BooleanField()
    area = serializers.CharField()
    address = AddressOutput(allow_null=True)
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    time_zone = serializers.CharField(source="location.time_zone")
    phones = PhoneOutput(many=True)
    services = ServiceOutput(many=True)
    languages = serializers.ListField(child=serializers.CharField())
    accessibility = serializers.SerializerMethodField()
    last_verified = serializers.DateField(allow_null=True)
    url = serializers.CharField(source="location.get_absolute_url")

    def get_accessibility(self, view: Any) -> list[str]:
        return sorted(a.feature for a in view.location.accessibility.all())


class SearchResultOutput(serializers.Serializer):
    distance_mi = serializers.FloatField()
    distance_approximate = serializers.BooleanField(
        help_text="True for a confidential location: the distance is rounded and measured "
        "from a coarse area, never from the street address."
    )
    open_now = serializers.BooleanField(allow_null=True)
    location = LocationOutput(source="*")


class SearchPageOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchResultOutput(many=True)


def _enum(name: str, choices: list[tuple[str, Any]], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, enum=[c for c, _ in choices], description=description
    )


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
            OpenApiParameter("radius_mi", OpenApiTypes.NUMBER, description="1–200, default 25."),
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
        try:
            page = paginator.paginate_queryset(locations, request, view=self)
        except InvalidPage:
            raise exceptions.NotFound(_("There are no more results.")) from None
        results = location_views(page or [])
        return paginator.get_paginated_response(SearchResultOutput(results, many=True).data)
