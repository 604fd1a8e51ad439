import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from accounts.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_accounts_load
from accounts.models import User
from directory.models import Membership

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_one_account_per_role_and_prints_how_to_sign_in(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    assert User.objects.count() == len(DEMO_ACCOUNTS)
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"officer", "caseworker", "org_admin"}
    assert User.objects.get(email="steward@demo.haven.invalid").is_staff
    for account in DEMO_ACCOUNTS:
        assert account.email in output
        assert User.objects.get(email=account.email).check_password(DEMO_PASSWORD)


def test_demo_mode_shows_demo_accounts_their_code(client, settings):
    call_command("seed_demo")
    settings.HAVEN_DEMO_MODE = True
    client.post(
        "/accounts/sign-in/", {"email": "officer@demo.haven.invalid", "password": DEMO_PASSWORD}
    )
    page = client.get("/accounts/sign-in/verify/").content.decode()
    assert "Demo account: the current code is" in page
    code = page.split("<strong>")[1].split("</strong>")[0]
    assert client.post("/accounts/sign-in/verify/", {"code": code}).status_code == 302
    assert client.get("/accounts/").status_code == 200


def test_without_demo_mode_no_code_is_shown(client, settings):
    call_command("seed_demo")
    settings.HAVEN_DEMO_MODE = False
    client.post(
        "/accounts/sign-in/", {"email": "officer@demo.haven.invalid", "password": DEMO_PASSWORD}
    )
    assert "Demo account" not in client.get("/accounts/sign-in/verify/").content.decode()


def test_demo_accounts_are_never_made_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        demo_accounts_load()
