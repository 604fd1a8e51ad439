from django.urls import path

from directory import hsds_views, views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("locations/<uuid:code>/", views.location_detail, name="location"),
    path("holds/", views.holds_list, name="holds"),
    path("holds/place/", views.hold_place_view, name="hold-place"),
    path("holds/<uuid:code>/", views.hold_detail, name="hold"),
    path("holds/<uuid:code>/cancel/", views.hold_cancel_view, name="hold-cancel"),
    path("holds/<uuid:code>/confirm/", views.hold_confirm_view, name="hold-confirm"),
    path("beds/", views.beds_page, name="beds"),
    path("beds/<uuid:code>/", views.beds_update, name="beds-update"),
    path("steward/import/", hsds_views.hsds_import, name="hsds-import"),
]
