"""Sign-in: password, then a TOTP code; lockout; sessions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.services import backup_codes_replace
from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory, current_code, totp_device

pytestmark = pytest.mark.django_db
SIGN_IN, VERIFY, HOME = "/accounts/sign-in/", "/accounts/sign-in/verify/", "/accounts/"
T0 = datetime(2026, 11, 28, 2, 0, 7, tzinfo=UTC)


@pytest.fixture
def person():
    user = UserFactory(email="dana@example.org")
    totp_device(user)
    return user


def test_password_then_code_signs_in_with_a_new_session_at_each_step(client, person):
    with time_machine.travel(T0, tick=False):
        client.get(SIGN_IN)
        anonymous_key = client.cookies["sessionid"].value if "sessionid" in client.cookies else ""
        response = client.post(SIGN_IN, {"email": "DANA@example.org ", "password": PASSWORD})
        assert response.status_code == 302
        assert response["Location"].startswith(VERIFY)
        after_password = client.cookies["sessionid"].value
        assert after_password != anonymous_key
        # Half signed in: member pages wait for the second factor.
        assert client.get(HOME)["Location"].startswith(VERIFY)
        response = client.post(VERIFY, {"code": current_code(totp_device(person))})
        assert response.status_code == 302
        assert client.cookies["sessionid"].value != after_password
        assert client.get(HOME).status_code == 200
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "auth.password_accepted",
        "auth.sign_in",
    ]


def test_wrong_password_and_unknown_email_get_the_same_answer(client, person):
    wrong = client.post(SIGN_IN, {"email": "dana@example.org", "password": "not the password"})
    unknown = client.post(SIGN_IN, {"email": "nobody@example.org", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 400
    message = "That e-mail address and password do not match an account."
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()
    assert SESSION_KEY not in client.session
    failures = AuditEvent.objects.filter(action="auth.sign_in_failed")
    assert failures.count() == 2
    assert "nobody" not in str(list(failures.values()))


def test_a_totp_code_is_refused_the_second_time(client, person, signed_in):
    device = totp_device(person)
    with time_machine.travel(T0, tick=False):
        client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
        code = current_code(device)
        assert client.post(VERIFY, {"code": code}).status_code == 302
        other = type(client)()
        other.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
        response = other.post(VERIFY, {"code": code})
    assert response.status_code == 400
    assert "That code did not work" in response.content.decode()
    assert other.get(HOME).status_code == 302


def test_a_wrong_code_is_refused_and_audited(client, person):
    client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
    assert client.post(VERIFY, {"code": "000000"}).status_code == 400
    assert AuditEvent.objects.filter(action="auth.mfa_failed").exists()


def test_a_backup_code_works_once(client, person):
    codes = backup_codes_replace(user=person)
    client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
    assert client.post(VERIFY, {"code": codes[0].upper()}).status_code == 302
    client.post("/accounts/sign-out/")
    client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
    assert client.post(VERIFY, {"code": codes[0]}).status_code == 400
    assert StaticDevice.objects.get(user=person).token_set.count() == len(codes) - 1


def test_repeated_failures_lock_the_email_and_address_out(client, person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(SIGN_IN, {"email": "dana@example.org", "password": "guess " * 3})
    locked = client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
    assert locked.status_code == 429
    assert "paused" in locked.content.decode()
    assert SESSION_KEY not in client.session


def test_lockout_answers_the_same_for_an_unknown_address(client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(SIGN_IN, {"email": "ghost@example.org", "password": "guess " * 3})
    assert (
        client.post(SIGN_IN, {"email": "ghost@example.org", "password": "x" * 12}).status_code
        == 429
    )


def test_the_lockout_ends_after_the_cool_off(client, person, settings):
    with time_machine.travel(T0, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(SIGN_IN, {"email": "dana@example.org", "password": "guess " * 3})
    later = T0 + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        response = client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_someone_without_an_authenticator_must_set_one_up(client):
    UserFactory(email="new@example.org")
    response = client.post(SIGN_IN, {"email": "new@example.org", "password": PASSWORD})
    assert response["Location"].startswith("/accounts/sign-in/authenticator/")
    page = client.get("/accounts/sign-in/authenticator/")
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.content


def test_setting_up_an_authenticator_shows_backup_codes_once(client):
    user = UserFactory(email="new@example.org")
    client.post(SIGN_IN, {"email": "new@example.org", "password": PASSWORD})
    client.get("/accounts/sign-in/authenticator/")
    device = user.totpdevice_set.get(confirmed=False)
    assert client.post("/accounts/sign-in/authenticator/", {"code": "123"}).status_code == 400
    response = client.post("/accounts/sign-in/authenticator/", {"code": current_code(device)})
    assert response.status_code == 200
    assert "Your backup codes" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(HOME).status_code == 200
    assert AuditEvent.objects.filter(action="auth.mfa_enrolled").count() == 1


def test_someone_half_signed_in_cannot_replace_the_authenticator(client, person):
    client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD})
    response = client.get("/accounts/sign-in/authenticator/")
    assert response["Location"].startswith(VERIFY)


def test_signing_out_ends_the_session(client, person, signed_in):
    browser = signed_in(person)
    cookie = browser.cookies["sessionid"].value
    assert browser.get("/accounts/sign-out/").status_code == 405
    browser.post("/accounts/sign-out/")
    assert browser.get(HOME).status_code == 302
    replay = type(browser)()
    replay.cookies["sessionid"] = cookie
    assert replay.get(HOME).status_code == 302


def test_an_idle_session_ends(person, signed_in, settings):
    with time_machine.travel(T0, tick=False):
        browser = signed_in(person)
        assert browser.get(HOME).status_code == 200
    idle = T0 + timedelta(minutes=settings.HAVEN_SESSION_IDLE_MINUTES, seconds=1)
    with time_machine.travel(idle, tick=False):
        assert browser.get(HOME)["Location"].startswith(SIGN_IN)


def test_a_busy_session_still_ends_at_the_absolute_limit(person, signed_in, settings):
    with time_machine.travel(T0, tick=False):
        browser = signed_in(person)
        browser.get(HOME)
    moment = T0
    end = T0 + timedelta(hours=settings.HAVEN_SESSION_MAX_HOURS)
    while moment < end - timedelta(minutes=20):
        moment += timedelta(minutes=20)
        with time_machine.travel(moment, tick=False):
            assert browser.get(HOME).status_code == 200
    with time_machine.travel(end + timedelta(minutes=1), tick=False):
        assert browser.get(HOME)["Location"].startswith(SIGN_IN)


def test_next_never_leaves_the_site(client, person):
    with time_machine.travel(T0, tick=False):
        client.post(SIGN_IN, {"email": "dana@example.org", "password": PASSWORD,
                              "next": "https://evil.example/"})  # fmt: skip
        response = client.post(
            VERIFY, {"code": current_code(totp_device(person)), "next": "https://evil.example/"}
        )
    assert response["Location"] == HOME
