"""Password reset: no account enumeration, and never a way around the second factor."""

import re

import pytest
from django.core import mail

from tests.factories import PASSWORD, UserFactory, current_code, totp_device

pytestmark = pytest.mark.django_db
RESET = "/accounts/password-reset/"
NEW = "a brand new passphrase for haven"


@pytest.fixture
def person():
    user = UserFactory(email="dana@example.org")
    totp_device(user)
    return user


def reset_link(django_capture_on_commit_callbacks, client, email):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESET, {"email": email})
    assert response.status_code == 200
    return response


def test_known_and_unknown_addresses_get_the_same_page(
    client, person, django_capture_on_commit_callbacks
):
    known = reset_link(django_capture_on_commit_callbacks, client, "dana@example.org")
    unknown = reset_link(django_capture_on_commit_callbacks, client, "nobody@example.org")
    assert known.content == unknown.content
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@example.org"]


def test_a_reset_sets_the_password_but_does_not_sign_in(
    client, person, django_capture_on_commit_callbacks, signed_in
):
    other_device = signed_in(person)
    reset_link(django_capture_on_commit_callbacks, client, "dana@example.org")
    path = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(path).status_code == 200
    mismatch = client.post(path, {"password1": NEW, "password2": NEW + "x"})
    assert mismatch.status_code == 400
    weak = client.post(path, {"password1": "password1234", "password2": "password1234"})
    assert weak.status_code == 400
    assert "too common" in weak.content.decode()
    response = client.post(path, {"password1": NEW, "password2": NEW})
    assert response["Location"] == "/accounts/sign-in/"
    assert client.get("/accounts/").status_code == 302
    # Every earlier session ended with the reset.
    assert other_device.get("/accounts/").status_code == 302
    # The link works once.
    assert client.get(path).status_code == 400
    # The new password alone is not enough: the authenticator is still asked for.
    step = client.post("/accounts/sign-in/", {"email": "dana@example.org", "password": NEW})
    assert step["Location"].startswith("/accounts/sign-in/verify/")
    assert client.get("/accounts/").status_code == 302
    client.post("/accounts/sign-in/verify/", {"code": current_code(totp_device(person))})
    assert client.get("/accounts/").status_code == 200


def test_a_forged_or_broken_link_is_refused(client, person):
    assert client.get("/accounts/password-reset/MQ/not-a-token/").status_code == 400
    assert client.get("/accounts/password-reset/%%%/x/").status_code == 400
    assert (
        client.post(
            "/accounts/password-reset/MQ/x/", {"password1": NEW, "password2": NEW}
        ).status_code
        == 400
    )
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_passwords_must_be_twelve_to_128_characters():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12"):
        validate_password("short words")
    with pytest.raises(ValidationError, match="at most 128"):
        validate_password("x" * 129 + "1A!")
    validate_password("twelve chars well apart")
