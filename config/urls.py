from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.apis import MeApi
from config.views import healthz
from directory.apis import (
    CapacityDetailApi,
    HoldCancelApi,
    HoldConfirmApi,
    HoldDetailApi,
    HoldPlaceApi,
    LocationSearchApi,
)
from referrals.apis import (
    ReferralAcceptApi,
    ReferralDeclineApi,
    ReferralDetailApi,
    ReferralSendApi,
    ReferralWithdrawApi,
)

api_v1 = [
    path("search", LocationSearchApi.as_view(), name="search"),
    path("capacities/<uuid:code>", CapacityDetailApi.as_view(), name="capacity"),
    path("holds", HoldPlaceApi.as_view(), name="holds"),
    path("holds/<uuid:code>", HoldDetailApi.as_view(), name="hold"),
    path("holds/<uuid:code>/cancel", HoldCancelApi.as_view(), name="hold-cancel"),
    path("holds/<uuid:code>/confirm", HoldConfirmApi.as_view(), name="hold-confirm"),
    path("me", MeApi.as_view(), name="me"),
    path("referrals", ReferralSendApi.as_view(), name="referrals"),
    path("referrals/<uuid:code>", ReferralDetailApi.as_view(), name="referral"),
    path("referrals/<uuid:code>/accept", ReferralAcceptApi.as_view(), name="referral-accept"),
    path("referrals/<uuid:code>/decline", ReferralDeclineApi.as_view(), name="referral-decline"),
    path("referrals/<uuid:code>/withdraw", ReferralWithdrawApi.as_view(), name="referral-withdraw"),
]

urlpatterns = [
    path("", include("directory.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("consent.urls")),
    path("", include("referrals.urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/hsds/", include("directory.hsds_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

# Under /api/ errors keep the API's JSON format; a lost database connection is a 503
# "try again", anything else a 500.
handler400 = "config.views.bad_request"
handler404 = "config.views.not_found"
handler500 = "config.views.server_error"

# E-mail delivery events (delivered, bounced) from the ESP, once its webhook secret is set.
if settings.ANYMAIL.get("WEBHOOK_SECRET"):
    urlpatterns.append(path("anymail/", include("anymail.urls")))
