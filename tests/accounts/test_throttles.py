"""API rate limits: per address for the public, per token for integrations."""

import secrets

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


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["django cache", "redis"])
def address(request, settings):
    """Each test counts in both stores: Django's cache (development, tests) and Redis
    (production), each time for an address of its own."""
    from accounts import throttles

    if request.param == "redis":
        import redis

        url = "redis://127.0.0.1:6379/14"
        try:
            redis.Redis.from_url(url).ping()
        except redis.ConnectionError:
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        settings.REDIS_URL = url
    else:
        settings.REDIS_URL = ""
    throttles._redis.cache_clear()
    yield f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    throttles._redis.cache_clear()


def _asks(address: str, clock: _Clock, times: int) -> list[bool]:
    return [_throttle(clock).allow_request(_request(address), None) for _ in range(times)]


def _throttle(clock: _Clock) -> AnonymousThrottle:
    throttle = AnonymousThrottle()
    throttle.timer = clock
    return throttle


def _request(address: str):
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.test import APIRequestFactory

    request = APIRequestFactory().get("/api/v1/search", REMOTE_ADDR=address)
    request.user = AnonymousUser()
    return request


def test_the_limit_slides_across_windows(monkeypatch, address):
    """4 a minute: 4 late in one minute leave little room early in the next, not four."""
    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", {"anonymous": "4/min"})
    clock = _Clock(60 * 1000 + 50)  # 50 s into a window
    assert _asks(address, clock, 5) == [True, True, True, True, False]
    clock.now += 20  # 10 s into the next: the last window still weighs 5/6 of its 4
    assert _asks(address, clock, 1) == [False]
    clock.now += 5  # 15 s in: it weighs 3, room for one
    assert _asks(address, clock, 2) == [True, False]
    clock.now += 60  # 15 s into the window after: 3/4 of 1 weighs
    assert _asks(address, clock, 4) == [True, True, True, False]


def test_refused_requests_do_not_count_and_wait_is_until_room(monkeypatch, address):
    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", {"anonymous": "2/min"})
    clock = _Clock(60 * 2000 + 30)
    assert _asks(address, clock, 10) == [True, True] + [False] * 8
    throttle = _throttle(clock)
    assert not throttle.allow_request(_request(address), None)
    # Room again once the window's 2 weigh no more than 1: 30 s left + 30 s into the next.
    assert throttle.wait() == pytest.approx(60)
    clock.now += 60
    assert _asks(address, clock, 2) == [True, False]


def test_many_workers_at_once_never_pass_more_than_the_limit(monkeypatch, address):
    """Counted with an atomic increment: 40 at once against a limit of 15."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", {"anonymous": "15/min"})
    clock = _Clock(60 * 3000 + 1)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _asks(address, clock, 1)[0], range(40)))
    assert answers.count(True) == 15
