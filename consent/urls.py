from django.urls import path, re_path

from consent import views

app_name = "consent"

urlpatterns = [
    # Survivor pages: short addresses, nothing about the survivor in them.
    path("c/", views.survivor_start, name="start"),
    path("c/sign/", views.capture, name="capture"),
    re_path(r"^c/(?P<secret>[0-9A-Za-z]{8})/$", views.survivor_link, name="link"),
    path("my/", views.portal, name="portal"),
    path("my/consents/", views.portal_consents, name="portal-consents"),
    path("my/consents/<uuid:code>/revoke/", views.portal_revoke, name="portal-revoke"),
    path("my/consents/<uuid:code>/shorten/", views.portal_shorten, name="portal-shorten"),
    path("my/revoke-all/", views.portal_revoke_all, name="portal-revoke-all"),
    path("my/sign-out/", views.portal_sign_out, name="portal-sign-out"),
    path("my/language/", views.survivor_language, name="language"),
    # Staff pages.
    path("consent/", views.consent_list, name="list"),
    path("consent/new/", views.request_new, name="request-new"),
    path("consent/requests/<uuid:code>/", views.request_detail, name="request"),
    path("consent/<uuid:code>/", views.consent_detail, name="detail"),
    path("consent/<uuid:code>/revoke/", views.consent_revoke_by_phone, name="revoke-by-phone"),
]
