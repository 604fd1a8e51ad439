"""API tokens: issued by admins (page or command), shown once, stored hashed, scoped, revocable."""

import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def tokens_url(org, name="tokens", **kwargs):
    return reverse(f"accounts:{name}", kwargs={"org": org.code, **kwargs})


def test_an_admin_issues_a_token_that_is_shown_once(cast, signed_in, api_client):
    admin = signed_in(cast.admin_x.user)
    response = admin.post(
        tokens_url(cast.shelter_x, "token-issue"),
        {"name": "bed board", "scopes": ["directory:read", "holds:write"]},
    )
    assert response.status_code == 200
    secret = response.context["issued"].secret
    assert secret in response.content.decode()
    token = ApiToken.objects.get()
    assert token.secret_hash == hashlib.sha256(secret.split("_", 2)[2].encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert secret not in admin.get(tokens_url(cast.shelter_x)).content.decode()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    me = api_client.get("/api/v1/me").json()
    assert me == {
        "kind": "token",
        "organization": {"id": str(cast.shelter_x.code), "name": "Shelter X", "kind": "provider"},
        "scopes": ["directory:read", "holds:write"],
    }
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("member", "status"), [("caseworker_x", 403), ("admin_x", 200), ("officer_a", 404)]
)
def test_only_admins_see_the_tokens_page(cast, signed_in, member, status):
    assert (
        signed_in(getattr(cast, member).user).get(tokens_url(cast.shelter_x)).status_code == status
    )


def test_anonymous_visitors_cannot_issue(cast, client):
    response = client.post(
        tokens_url(cast.shelter_x, "token-issue"), {"name": "x", "scopes": ["directory:read"]}
    )
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{"name": "x"}, {"name": "", "scopes": ["directory:read"]}, {"name": "x", "scopes": ["root"]}],
)
def test_bad_token_requests_are_refused(cast, signed_in, data):
    response = signed_in(cast.admin_x.user).post(tokens_url(cast.shelter_x, "token-issue"), data)
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_issuing_only_answers_post(cast, signed_in):
    assert (
        signed_in(cast.admin_x.user).get(tokens_url(cast.shelter_x, "token-issue")).status_code
        == 405
    )


def test_a_revoked_token_stops_working_at_once(cast, signed_in, api_client):
    issued = token_issue(
        organization=cast.shelter_x, name="x", scopes=["directory:read"], issuer=cast.admin_x
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert api_client.get("/api/v1/me").status_code == 200
    other_admin = signed_in(cast.caseworker_y.user)
    revoke = tokens_url(cast.shelter_x, "token-revoke", token=issued.token.code)
    assert other_admin.post(revoke).status_code == 404
    assert signed_in(cast.caseworker_x.user).post(revoke).status_code == 403
    assert signed_in(cast.admin_x.user).post(revoke).status_code == 302
    response = api_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "This API token is not valid or was revoked."
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "token.issued",
        "token.revoked",
    ]


@pytest.mark.parametrize(
    "header",
    ["Bearer hvn_deadbeef0000_nope", "Bearer nonsense", "Bearer hvn__", "Bearer " + "x" * 5000],
)
def test_a_bad_token_is_a_401(api_client, db, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_command_line_issues_a_token(cast, capsys):
    call_command("issue_token", str(cast.agency_a.code), "--scope", "holds:write",
                 "--scope", "referrals:write", "--name", "dispatch")  # fmt: skip
    captured = capsys.readouterr()
    secret = captured.out.strip()
    assert secret.startswith("hvn_")
    token = ApiToken.objects.get()
    assert token.scopes == ["holds:write", "referrals:write"]
    assert token.created_by is None
    assert AuditEvent.objects.get().actor == "cli"


def test_the_command_line_explains_mistakes(cast):
    with pytest.raises(CommandError, match="No organisation with id"):
        call_command("issue_token", "not-a-uuid", "--scope", "holds:write", "--name", "x")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("issue_token", str(cast.agency_a.code), "--scope", "everything", "--name", "x")


def test_revoking_twice_is_harmless(cast):
    issued = token_issue(
        organization=cast.shelter_x, name="x", scopes=["directory:read"], issuer=None
    )
    token_revoke(token=issued.token, actor=None)
    token_revoke(token=issued.token, actor=None)
    assert AuditEvent.objects.filter(action="token.revoked").count() == 1
