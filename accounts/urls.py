from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.sign_in, name="sign-in"),
    path("sign-in/verify/", views.verify, name="verify"),
    path("sign-in/authenticator/", views.mfa_setup, name="mfa-setup"),
    path("sign-out/", views.sign_out, name="sign-out"),
    path("password-reset/", views.password_reset, name="password-reset"),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        views.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("invitations/<str:secret>/", views.invitation, name="invitation"),
    path("", views.home, name="home"),
    path("orgs/<uuid:org>/members/", views.members, name="members"),
    path("orgs/<uuid:org>/members/invite/", views.member_invite, name="member-invite"),
    path("orgs/<uuid:org>/members/<uuid:member>/role/", views.member_role, name="member-role"),
    path(
        "orgs/<uuid:org>/members/<uuid:member>/deactivate/",
        views.member_deactivate,
        name="member-deactivate",
    ),
    path("orgs/<uuid:org>/tokens/", views.tokens, name="tokens"),
    path("orgs/<uuid:org>/tokens/issue/", views.token_issue, name="token-issue"),
    path("orgs/<uuid:org>/tokens/<uuid:token>/revoke/", views.token_revoke, name="token-revoke"),
]
