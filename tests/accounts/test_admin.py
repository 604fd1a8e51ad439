"""The Django admin is for network stewards, after their second factor."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_verified_steward_gets_in(cast, signed_in):
    assert signed_in(cast.steward).get("/admin/").status_code == 200


def test_a_steward_without_the_second_factor_is_sent_to_sign_in(cast):
    client = Client()
    client.force_login(cast.steward)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    login = client.get(response["Location"])
    assert login["Location"].startswith("/accounts/sign-in/?next=")


def test_members_who_are_not_stewards_stay_out(cast, signed_in):
    response = signed_in(cast.admin_x.user).get("/admin/directory/organization/")
    assert response.status_code == 302


def test_anonymous_visitors_stay_out(client, db):
    assert client.get("/admin/").status_code == 302


def test_the_audit_log_is_read_only_even_for_stewards(cast, signed_in):
    from audit.services import audit_record

    event = audit_record(action="test.event")
    steward = signed_in(cast.steward)
    assert steward.get("/admin/audit/auditevent/").status_code == 200
    assert steward.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert steward.get("/admin/audit/auditevent/add/").status_code == 403


def test_stewards_cannot_read_anyones_authenticator_secret(cast, signed_in):
    from tests.factories import totp_device

    device = totp_device(cast.caseworker_x.user)
    steward = signed_in(cast.steward)
    assert steward.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 404
    assert steward.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_a_steward_resets_a_lost_second_factor(cast, signed_in):
    from audit.models import AuditEvent

    person = signed_in(cast.caseworker_x.user)
    steward = signed_in(cast.steward)
    response = steward.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [cast.caseworker_x.user.pk]},
    )
    assert response.status_code == 302
    assert not cast.caseworker_x.user.totpdevice_set.exists()
    assert person.get("/accounts/").status_code == 302
    event = AuditEvent.objects.get(action="auth.mfa_reset")
    assert event.target == f"user:{cast.caseworker_x.user.code}"
