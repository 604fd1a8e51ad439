"""Signed-in sessions end after inactivity and, whatever happens, after an absolute limit."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

STARTED = "haven_started"
SEEN = "haven_seen"


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.setdefault(STARTED, now)
            seen = session.get(SEEN, now)
            idle = settings.HAVEN_SESSION_IDLE_MINUTES * 60
            limit = settings.HAVEN_SESSION_MAX_HOURS * 3600
            if now - seen > idle or now - started > limit:
                logout(request)
                messages.info(request, _("You were signed out to keep things safe. Sign in again."))
                return redirect(settings.LOGIN_URL)
            # Minute resolution is enough and spares a session write on most requests.
            if now - seen > 60 or SEEN not in session:
                session[SEEN] = now
        return self.get_response(request)
