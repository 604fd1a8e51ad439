from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("referrals/", views.inbox, name="inbox"),
    path("referrals/sent/", views.sent, name="sent"),
    path("referrals/new/<uuid:consent_code>/", views.referral_new, name="new"),
    path("referrals/<uuid:code>/", views.referral_detail, name="detail"),
    path("referrals/<uuid:code>/accept/", views.referral_accept, name="accept"),
    path("referrals/<uuid:code>/decline/", views.referral_decline, name="decline"),
    path("referrals/<uuid:code>/withdraw/", views.referral_withdraw, name="withdraw"),
    path("referrals/<uuid:code>/open/", views.packet_open, name="open"),
    path("referrals/<uuid:code>/complete/", views.referral_complete, name="complete"),
    path("organizations/<uuid:organization_code>/keys/", views.organization_keys, name="keys"),
]
