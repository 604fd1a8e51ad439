"""API rate limits: per address for the public, per token for integrations."""

import pytest

from accounts.services import token_issue
from accounts.throttles import AnonymousThrottle, TokenThrottle

pytestmark = pytest.mark.django_db


def test_public_search_is_limited_per_address(api_client, monkeypatch):
    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", {"anonymous": "3/min"})
    statuses = [api_client.get("/api/v1/search", {"near": "00000"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    body = api_client.get("/api/v1/search", {"near": "75201"}).json()
    assert body["code"] == "throttled"
    assert body["retry_after_seconds"] > 0
    other_address = api_client.get("/api/v1/search", {"near": "00000"}, REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 400


def test_tokens_are_limited_per_token(cast, api_client, monkeypatch):
    monkeypatch.setattr(TokenThrottle, "THROTTLE_RATES", {"token": "2/min"})
    first = token_issue(
        organization=cast.shelter_x, name="a", scopes=["directory:read"], issuer=None
    )
    second = token_issue(
        organization=cast.shelter_x, name="b", scopes=["directory:read"], issuer=None
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {first.secret}")
    assert [api_client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 429]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {second.secret}")
    assert api_client.get("/api/v1/me").status_code == 200
