from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.search, name="search"),
    path("locations/<uuid:code>/", views.location_detail, name="location"),
]
