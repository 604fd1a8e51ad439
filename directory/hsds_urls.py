"""The read-only HSDS 3.1 API, mounted at ``/api/hsds/`` (paths as in HSDS's openapi.json)."""

from django.urls import path

from directory import hsds_apis

app_name = "hsds"

urlpatterns = [
    path("", hsds_apis.HsdsRootApi.as_view(), name="root"),
    path("profile", hsds_apis.HsdsProfileApi.as_view(), name="profile"),
    path("services", hsds_apis.HsdsServiceListApi.as_view(), name="services"),
    path("services/<uuid:id>", hsds_apis.HsdsServiceDetailApi.as_view(), name="service"),
    path(
        "service_at_locations",
        hsds_apis.HsdsServiceAtLocationListApi.as_view(),
        name="service-at-locations",
    ),
    path(
        "service_at_locations/<uuid:id>",
        hsds_apis.HsdsServiceAtLocationDetailApi.as_view(),
        name="service-at-location",
    ),
    path("organizations", hsds_apis.HsdsOrganizationListApi.as_view(), name="organizations"),
    path(
        "organizations/<uuid:id>",
        hsds_apis.HsdsOrganizationDetailApi.as_view(),
        name="organization",
    ),
    path("taxonomies", hsds_apis.HsdsTaxonomyListApi.as_view(), name="taxonomies"),
    path("taxonomies/<uuid:id>", hsds_apis.HsdsTaxonomyDetailApi.as_view(), name="taxonomy"),
    path("taxonomy_terms", hsds_apis.HsdsTaxonomyTermListApi.as_view(), name="taxonomy-terms"),
    path(
        "taxonomy_terms/<uuid:id>",
        hsds_apis.HsdsTaxonomyTermDetailApi.as_view(),
        name="taxonomy-term",
    ),
]
