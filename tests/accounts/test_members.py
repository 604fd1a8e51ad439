"""Organisation members: the grid of who may see and do what, invitations, deactivation."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import ApiToken, Invitation, User
from accounts.services import token_issue
from audit.models import AuditEvent
from directory.models import Membership
from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def url(name, organization, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"org": organization.code, **kwargs})


# --- The list of members --------------------------------------------------------------------


def test_members_see_their_organisation(cast, signed_in):
    response = signed_in(cast.caseworker_x.user).get(url("members", cast.shelter_x))
    assert response.status_code == 200
    assert "admin.x@example.org" in response.content.decode()
    assert "Send invitation" not in response.content.decode()  # read-only for caseworkers


def test_another_organisations_members_are_a_404(cast, signed_in):
    assert signed_in(cast.caseworker_y.user).get(url("members", cast.shelter_x)).status_code == 404
    unknown = reverse("accounts:members", kwargs={"org": "00000000-0000-0000-0000-000000000000"})
    assert signed_in(cast.caseworker_y.user).get(unknown).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(cast, client):
    response = client.get(url("members", cast.shelter_x))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/?next=")


def test_the_members_page_only_answers_get(cast, signed_in):
    assert signed_in(cast.admin_x.user).post(url("members", cast.shelter_x)).status_code == 405


def test_a_deactivated_member_sees_nothing(cast, signed_in):
    cast.caseworker_x.is_active = False
    cast.caseworker_x.deactivated_at = cast.caseworker_x.updated_at
    cast.caseworker_x.save()
    assert signed_in(cast.caseworker_x.user).get(url("members", cast.shelter_x)).status_code == 404


# --- Inviting -------------------------------------------------------------------------------


def test_an_admin_invites_by_email(cast, signed_in, django_capture_on_commit_callbacks):
    admin = signed_in(cast.admin_x.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            url("member-invite", cast.shelter_x),
            {"email": "New.Person@Example.org", "role": "caseworker"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.org"
    assert invitation.secret_hash not in mail.outbox[0].body
    assert re.search(r"/accounts/invitations/[\w-]{40,}/", mail.outbox[0].body)
    assert AuditEvent.objects.filter(action="member.invited").exists()
    assert "new.person" not in str(list(AuditEvent.objects.values()))


@pytest.mark.parametrize(
    ("member", "status"), [("caseworker_x", 403), ("caseworker_y", 404), ("officer_a", 404)]
)
def test_only_the_organisations_admins_invite(cast, signed_in, member, status):
    response = signed_in(getattr(cast, member).user).post(
        url("member-invite", cast.shelter_x), {"email": "x@example.org", "role": "caseworker"}
    )
    assert response.status_code == status
    assert not Invitation.objects.exists()


def test_inviting_needs_a_signed_in_admin(cast, client):
    response = client.post(url("member-invite", cast.shelter_x), {"email": "x@example.org"})
    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_invite_only_answers_post(cast, signed_in):
    assert signed_in(cast.admin_x.user).get(url("member-invite", cast.shelter_x)).status_code == 405


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address", "role": "caseworker"}, "Enter a valid email address."),
        ({"email": "x@example.org", "role": "officer"}, "Select a valid choice."),
        ({"email": "caseworker.x@example.org", "role": "caseworker"}, "already a member"),
        ({}, "This field is required."),
    ],
)
def test_bad_invitations_are_refused_with_a_reason(cast, signed_in, data, message):
    response = signed_in(cast.admin_x.user).post(url("member-invite", cast.shelter_x), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()


# --- Accepting ------------------------------------------------------------------------------


def invite(cast, email="new@example.org", role="caseworker"):
    from accounts.services import invitation_create

    return invitation_create(inviter=cast.admin_x, email=email, role=role)


def test_a_new_person_accepts_and_then_sets_up_their_authenticator(cast, client):
    _invitation, secret = invite(cast)
    path = f"/accounts/invitations/{secret}/"
    assert client.get(path).status_code == 200
    weak = client.post(path, {"name": "Nia", "password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 400
    response = client.post(path, {"name": "Nia", "password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == "/accounts/sign-in/"
    user = User.objects.get(email="new@example.org")
    assert Membership.objects.get(user=user).role == "caseworker"
    # One time only.
    assert client.get(path).status_code == 404
    step = client.post("/accounts/sign-in/", {"email": "new@example.org", "password": PASSWORD})
    assert step["Location"].startswith("/accounts/sign-in/authenticator/")


def test_an_expired_invitation_does_not_work(cast, client):
    invitation, secret = invite(cast)
    invitation.expires_at = invitation.created_at
    invitation.save()
    assert client.get(f"/accounts/invitations/{secret}/").status_code == 404
    assert client.get("/accounts/invitations/made-up/").status_code == 404


def test_an_existing_account_accepts_while_signed_in_as_itself(cast, signed_in):
    _invitation, secret = invite(cast, email="caseworker.y@example.org")
    other = signed_in(cast.officer_a.user)
    other.post(f"/accounts/invitations/{secret}/")
    assert not Membership.objects.filter(
        user=cast.officer_a.user, organization=cast.shelter_x
    ).exists()
    mine = signed_in(cast.caseworker_y.user)
    assert mine.post(f"/accounts/invitations/{secret}/")["Location"] == "/accounts/"
    assert Membership.objects.filter(
        user=cast.caseworker_y.user, organization=cast.shelter_x
    ).exists()


# --- Roles and deactivation -----------------------------------------------------------------


def test_an_admin_changes_a_role(cast, signed_in):
    response = signed_in(cast.admin_x.user).post(
        url("member-role", cast.shelter_x, member=cast.caseworker_x.code), {"role": "org_admin"}
    )
    assert response.status_code == 302
    cast.caseworker_x.refresh_from_db()
    assert cast.caseworker_x.role == "org_admin"
    event = AuditEvent.objects.get(action="member.role_changed")
    assert event.data == {"from": "caseworker", "to": "org_admin"}


@pytest.mark.parametrize(("role", "status"), [("officer", 400), ("chief", 400)])
def test_roles_must_fit_the_kind_of_organisation(cast, signed_in, role, status):
    response = signed_in(cast.admin_x.user).post(
        url("member-role", cast.shelter_x, member=cast.caseworker_x.code), {"role": role}
    )
    assert response.status_code == status


def test_the_last_admin_cannot_step_down(cast, signed_in):
    response = signed_in(cast.admin_x.user).post(
        url("member-role", cast.shelter_x, member=cast.admin_x.code), {"role": "caseworker"}
    )
    assert response.status_code == 400
    assert "at least one admin" in response.content.decode()


def test_a_caseworker_cannot_change_roles(cast, signed_in):
    response = signed_in(cast.caseworker_x.user).post(
        url("member-role", cast.shelter_x, member=cast.admin_x.code), {"role": "caseworker"}
    )
    assert response.status_code == 403


def test_an_admin_cannot_reach_another_organisations_member(cast, signed_in):
    response = signed_in(cast.admin_x.user).post(
        url("member-role", cast.shelter_x, member=cast.caseworker_y.code), {"role": "org_admin"}
    )
    assert response.status_code == 404


def test_deactivation_ends_sessions_and_tokens_at_once(cast, signed_in, api_client):
    other_admin = MembershipFactory(organization=cast.shelter_x, role="org_admin")
    issued = token_issue(
        organization=cast.shelter_x, name="beds", scopes=["directory:read"], issuer=other_admin
    )
    their_browser = signed_in(other_admin.user)
    assert their_browser.get("/accounts/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert api_client.get("/api/v1/me").status_code == 200

    response = signed_in(cast.admin_x.user).post(
        url("member-deactivate", cast.shelter_x, member=other_admin.code)
    )
    assert response.status_code == 302
    assert their_browser.get("/accounts/").status_code == 302
    assert api_client.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None
    event = AuditEvent.objects.get(action="member.deactivated")
    assert event.data == {"tokens_revoked": 1}
