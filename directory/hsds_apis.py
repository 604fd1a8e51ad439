"""The read-only HSDS 3.1 API under ``/api/hsds/`` (DESIGN §8).

Open to everyone and paginated as the HSDS OpenAPI document says (``total_items``,
``total_pages``, ``page_number``, ``size``, ``first_page``, ``last_page``, ``empty``,
``contents``). It lists what the public directory lists; members of the network also get bed
counts, and members of an organisation its confidential addresses (directory.hsds decides).
Payloads validate against the schemas in ``directory/hsds_schema/`` (tests hold them to it).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.forms import ERROR_REPEATED
from directory import hsds
from directory.selectors import can_see_beds, viewer_organization_ids

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
SERVICE_FILTERS = ("organization_id", "taxonomy_term_id", "taxonomy_id", "modified_after")


# --- Input ----------------------------------------------------------------------------------


class PageInput(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    per_page = serializers.IntegerField(
        min_value=1,
        max_value=MAX_PER_PAGE,
        default=DEFAULT_PER_PAGE,
        help_text=f"Results per page, 1 to {MAX_PER_PAGE} (default {DEFAULT_PER_PAGE}).",
    )
    search = serializers.CharField(
        max_length=200, required=False, default="", help_text="Words in a name or description."
    )


class TaggedInput(PageInput):
    taxonomy_term_id = serializers.UUIDField(
        required=False, help_text="Only records with this taxonomy term."
    )
    taxonomy_id = serializers.UUIDField(
        required=False, help_text="Only records with a term of this taxonomy."
    )


class ServiceListInput(TaggedInput):
    organization_id = serializers.UUIDField(required=False)
    modified_after = serializers.DateTimeField(
        required=False, help_text="Changed on or after this moment (ISO 8601)."
    )
    full = serializers.BooleanField(
        default=False, help_text="Fully nested records instead of one-to-one fields."
    )


class OrganizationListInput(TaggedInput):
    full = serializers.BooleanField(default=False, help_text="Fully nested organisations.")
    full_service = serializers.BooleanField(
        default=False, help_text="With full services (needs full)."
    )


class OrganizationDetailInput(serializers.Serializer):
    full_service = serializers.BooleanField(
        default=False, help_text="Full services instead of their one-to-one fields."
    )


class ServiceAtLocationDetailInput(serializers.Serializer):
    full = serializers.BooleanField(default=True)


class TaxonomyTermListInput(PageInput):
    taxonomy_id = serializers.UUIDField(required=False)
    parent_id = serializers.UUIDField(required=False, help_text="Children of this term.")
    top_only = serializers.BooleanField(default=False, help_text="Only terms without a parent.")


def _valid(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The query's parameters, each given once (``page=1&page=9`` is refused, not guessed)."""
    names = serializer_class().get_fields().keys()
    repeated = [name for name in names if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise exceptions.ValidationError({name: [ERROR_REPEATED] for name in repeated})
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _filters(params: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: params[name] for name in names if name in params}


def _paginate(queryset: QuerySet[Any], params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page and its HSDS page fields. A page past the end is empty, not an error."""
    number, size = params["page"], params["per_page"]
    total = queryset.count()
    items = list(queryset[(number - 1) * size : number * size]) if total else []
    pages = math.ceil(total / size)
    return items, {
        "total_items": total,
        "total_pages": pages,
        "page_number": number,
        "size": len(items),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": not items,
    }


def _audience(request: Request) -> tuple[frozenset[int], bool]:
    """Whose confidential locations the caller may see in full, and whether they see beds."""
    viewers = viewer_organization_ids(request.user)
    return viewers, can_see_beds(request.user, organization_ids=viewers)


# --- Schema (for /api/schema/; the HSDS schemas themselves are in directory/hsds_schema/) ---


def _hsds_object(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": True,
        "description": f"An HSDS 3.1 `{name}` (schema/compiled/{name}.json, or schema/{name}.json "
        "where there is no compiled one), with Haven's profile fields in `haven` "
        "(see /api/hsds/profile).",
    }


def _page_of(name: str) -> dict[str, Any]:
    integer, boolean = {"type": "integer"}, {"type": "boolean"}
    return {
        "type": "object",
        "properties": {
            "total_items": integer,
            "total_pages": integer,
            "page_number": integer,
            "size": {"type": "integer", "description": "Entities on this page."},
            "first_page": boolean,
            "last_page": boolean,
            "empty": boolean,
            "contents": {"type": "array", "items": _hsds_object(name)},
        },
        "required": [
            "total_items", "total_pages", "page_number", "size", "first_page", "last_page",
            "empty", "contents",
        ],
    }  # fmt: skip


def _ok(schema: dict[str, Any], description: str) -> dict[int, OpenApiResponse]:
    return {200: OpenApiResponse(response=schema, description=description)}


ROOT_SCHEMA = {
    "type": "object",
    "properties": {
        "version": {"type": "string", "description": "HSDS version of this API."},
        "profile": {"type": "string", "format": "uri"},
        "profile_name": {"type": "string"},
        "openapi_url": {"type": "string", "format": "uri"},
    },
    "required": ["version", "profile", "profile_name", "openapi_url"],
}
PROFILE_SCHEMA = {"type": "object", "description": "A JSON Schema (draft 2020-12)."}
BEDS_NOTE = (
    " Members of the network (and tokens with directory:read) also get bed counts as "
    "`capacities`; members of the owning organisation get confidential addresses."
)


# --- Views ----------------------------------------------------------------------------------


class HsdsApi(APIView):
    permission_classes = [AllowAny]


class HsdsRootApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_about",
        tags=["hsds"],
        summary="HSDS version and profile of this API",
        responses=_ok(ROOT_SCHEMA, "What this API publishes."),
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "version": hsds.HSDS_VERSION,
                "profile": request.build_absolute_uri(reverse("hsds:profile")),
                "profile_name": hsds.PROFILE_NAME,
                "openapi_url": request.build_absolute_uri(reverse("schema") + "?format=json"),
            }
        )


class HsdsProfileApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_profile",
        tags=["hsds"],
        summary="Haven's HSDS profile: the fields under `haven`, as JSON Schema",
        responses=_ok(PROFILE_SCHEMA, "The profile."),
    )
    def get(self, request: Request) -> Response:
        url = request.build_absolute_uri(reverse("hsds:profile"))
        return Response({"$id": url, **hsds.PROFILE})


class HsdsServiceListApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_services",
        tags=["hsds"],
        summary="Listed services, one-to-one fields (full=true: fully nested)",
        parameters=[ServiceListInput],
        responses=_ok(_page_of("service_list"), "A page of services." + BEDS_NOTE),
    )
    def get(self, request: Request) -> Response:
        params = _valid(ServiceListInput, request)
        viewers, beds = _audience(request)
        found = hsds.services_find(
            search=params["search"],
            **_filters(params, *SERVICE_FILTERS),
        )
        services = hsds.with_service_documents(found, full=params["full"], with_capacity=beds)
        page, meta = _paginate(services, params)
        if params["full"]:
            contents = hsds.services_full(page, viewer_organization_ids=viewers, with_capacity=beds)
        else:
            contents = hsds.services_basic(page, viewer_organization_ids=viewers)
        return Response({**meta, "contents": contents})


class HsdsServiceDetailApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_service",
        tags=["hsds"],
        summary="One listed service, fully nested",
        responses=_ok(_hsds_object("service"), "The service." + BEDS_NOTE),
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        viewers, beds = _audience(request)
        service = hsds.service_get_listed(code=id, with_capacity=beds)
        return Response(
            hsds.service_full(service, viewer_organization_ids=viewers, with_capacity=beds)
        )


class HsdsServiceAtLocationListApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_service_at_locations",
        tags=["hsds"],
        summary="Listed services at their locations",
        parameters=[ServiceListInput],
        responses=_ok(_page_of("service_at_location_list"), "A page of services at locations."),
    )
    def get(self, request: Request) -> Response:
        params = _valid(ServiceListInput, request)
        viewers, _beds = _audience(request)
        found = hsds.service_at_locations_find(
            search=params["search"],
            **_filters(params, *SERVICE_FILTERS),
        )
        rows = hsds.with_service_at_location_documents(found, full=params["full"])
        page, meta = _paginate(rows, params)
        contents = hsds.service_at_locations(
            page, viewer_organization_ids=viewers, full=params["full"]
        )
        return Response({**meta, "contents": contents})


class HsdsServiceAtLocationDetailApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_service_at_location",
        tags=["hsds"],
        summary="One listed service at a location, with its location in full",
        parameters=[ServiceAtLocationDetailInput],
        responses=_ok(_hsds_object("service_at_location"), "The service at a location."),
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        params = _valid(ServiceAtLocationDetailInput, request)
        viewers, _beds = _audience(request)
        row = hsds.service_at_location_get_listed(code=id, full=params["full"])
        return Response(
            hsds.service_at_location(row, viewer_organization_ids=viewers, full=params["full"])
        )


class HsdsOrganizationListApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_organizations",
        tags=["hsds"],
        summary="Organisations with listed services or locations",
        parameters=[OrganizationListInput],
        responses=_ok(_page_of("organization_list"), "A page of organisations." + BEDS_NOTE),
    )
    def get(self, request: Request) -> Response:
        params = _valid(OrganizationListInput, request)
        viewers, beds = _audience(request)
        full, full_service = params["full"], params["full"] and params["full_service"]
        found = hsds.organizations_find(
            search=params["search"], **_filters(params, "taxonomy_term_id", "taxonomy_id")
        )
        organizations = hsds.with_organization_documents(
            found, full=full, full_service=full_service, with_capacity=beds
        )
        page, meta = _paginate(organizations, params)
        if not full:
            return Response({**meta, "contents": hsds.organizations_basic(page)})
        contents = hsds.organizations_full(
            page, viewer_organization_ids=viewers, with_capacity=beds, full_service=full_service
        )
        return Response({**meta, "contents": contents})


class HsdsOrganizationDetailApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_organization",
        tags=["hsds"],
        summary="One organisation, fully nested (full_service=true: with full services)",
        parameters=[OrganizationDetailInput],
        responses=_ok(_hsds_object("organization"), "The organisation." + BEDS_NOTE),
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        params = _valid(OrganizationDetailInput, request)
        viewers, beds = _audience(request)
        org = hsds.organization_get_listed(
            code=id, full_service=params["full_service"], with_capacity=beds
        )
        document = hsds.organization_full(
            org,
            viewer_organization_ids=viewers,
            with_capacity=beds,
            full_service=params["full_service"],
        )
        return Response(document)


class HsdsTaxonomyListApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_taxonomies",
        tags=["hsds"],
        summary="Taxonomies",
        parameters=[PageInput],
        responses=_ok(_page_of("taxonomy"), "A page of taxonomies."),
    )
    def get(self, request: Request) -> Response:
        params = _valid(PageInput, request)
        page, meta = _paginate(hsds.taxonomies_find(search=params["search"]), params)
        return Response({**meta, "contents": hsds.taxonomies(page)})


class HsdsTaxonomyDetailApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_taxonomy",
        tags=["hsds"],
        summary="One taxonomy",
        responses=_ok(_hsds_object("taxonomy"), "The taxonomy."),
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        return Response(hsds.taxonomy(hsds.taxonomy_get(code=id)))


class HsdsTaxonomyTermListApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_taxonomy_terms",
        tags=["hsds"],
        summary="Taxonomy terms",
        parameters=[TaxonomyTermListInput],
        responses=_ok(_page_of("taxonomy_term"), "A page of taxonomy terms."),
    )
    def get(self, request: Request) -> Response:
        params = _valid(TaxonomyTermListInput, request)
        terms = hsds.taxonomy_terms_find(
            search=params["search"],
            top_only=params["top_only"],
            **_filters(params, "taxonomy_id", "parent_id"),
        )
        page, meta = _paginate(terms, params)
        return Response({**meta, "contents": hsds.taxonomy_terms(page)})


class HsdsTaxonomyTermDetailApi(HsdsApi):
    @extend_schema(
        operation_id="hsds_taxonomy_term",
        tags=["hsds"],
        summary="One taxonomy term",
        responses=_ok(_hsds_object("taxonomy_term"), "The taxonomy term."),
    )
    def get(self, request: Request, id: uuid.UUID) -> Response:
        return Response(hsds.taxonomy_term(hsds.taxonomy_term_get(code=id)))
