"""API rate limits: per address for the public, per account, per token.

DRF's ``SimpleRateThrottle`` logs every request's time in one cache entry that each request
reads and writes whole. Under several workers that loses requests (two read the same log,
both write theirs back) and costs each request time in proportion to the limit. Here each
limit is counted instead, with the cache's atomic increment, over two fixed windows: the
current one, and the one before it weighted by how much of it still lies within the last
``duration`` seconds (a sliding-window estimate). With Redis (every deployment: settings
require it in production) that is one round trip a request, whatever the limit.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from accounts.authentication import TokenClient


class CountingRateThrottle(SimpleRateThrottle):
    """``SimpleRateThrottle``'s rates and cache keys, counted in windows (module docstring).

    A request is counted first and taken back if it went over, so however many workers ask
    at once, no more than the limit get through.
    """

    num_requests: int  # set by SimpleRateThrottle from the rate
    duration: int
    now: float
    current_count: int
    previous_count: int

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        current, previous = f"{self.key}:{window}", f"{self.key}:{window - 1}"
        # Kept until the next window has used it as its "previous".
        keep = 2 * self.duration + 1
        count, self.previous_count = self._count(current, previous, keep)
        self.current_count = count - 1  # before this request
        weight = 1 - (self.now % self.duration) / self.duration
        if self.previous_count * weight + count > self.num_requests:
            (_redis() if settings.REDIS_URL else self.cache).decr(current)  # not counted
            return self.throttle_failure()
        return True  # counted already; DRF's throttle_success would write its log

    def _count(self, current: str, previous: str, keep: int) -> tuple[int, int]:
        """This request counted in its window; its count and the previous window's."""
        if settings.REDIS_URL:
            return _redis_count(current, previous, keep)
        # Any cache of Django's (development and tests): three calls.
        previous_count = self.cache.get(previous, 0)
        try:
            return int(self.cache.incr(current)), previous_count
        except ValueError:  # the first request of this window
            if self.cache.add(current, 1, keep):
                return 1, previous_count
            return int(self.cache.incr(current)), previous_count  # another worker added it

    def wait(self) -> float | None:
        """Seconds until a request would be allowed again."""
        into_window = self.now % self.duration
        room = self.num_requests - 1 - self.current_count
        if room < 0:
            # In the next window, where this one's count weighs less as it goes.
            share = 1 - (self.num_requests - 1) / self.current_count
            return self.duration - into_window + self.duration * share
        # Later in this window, as the previous one's weight falls.
        share = 1 - room / self.previous_count
        return max(1.0, self.duration * share - into_window)


class AnonymousThrottle(CountingRateThrottle):
    scope = "anonymous"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class MemberThrottle(CountingRateThrottle):
    scope = "member"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = request.user
        if not user or not user.is_authenticated or isinstance(user, TokenClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


class TokenThrottle(CountingRateThrottle):
    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.user, TokenClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.token.pk}


@cache
def _redis() -> redis.Redis:
    # One client per process; its pool reconnects by itself after gunicorn forks.
    return redis.Redis.from_url(settings.REDIS_URL)


def _redis_count(current: str, previous: str, keep: int) -> tuple[int, int]:
    """Count this request in its window and read the previous window's: one round trip."""
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(current)
    pipe.expire(current, keep, nx=True)
    pipe.get(previous)
    count, _expiry_set, previous_count = pipe.execute()
    return int(count), int(previous_count or 0)
