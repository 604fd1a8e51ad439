"""Every URL the project serves answers with the security headers and a strict CSP —
whoever asks, whatever the status."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from accounts.services import token_issue
from tests.factories import listed_location

pytestmark = pytest.mark.django_db

# Sample values for the URL parameters, by name; by converter type otherwise.
CANDIDATES = {
    "app_label": ["directory", "accounts", "audit"],
    "object_id": ["1"],
    "content_type_id": ["1"],
    "uidb64": ["MQ"],
    "token": ["set-password"],
    "secret": ["no-such-invitation", "ABCD2345"],
    "url": ["x"],
    "path": ["x"],
}


def named_patterns(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def concrete_url(name, pattern, values):
    converters = getattr(pattern.pattern, "converters", {})
    names = list(converters) or list(re.compile(str(pattern.pattern)).groupindex)
    options = []
    for param in names:
        if param in values:
            options.append([values[param]])
        elif type(converters.get(param)).__name__ == "UUIDConverter":
            options.append([str(uuid.uuid4())])
        else:
            options.append(CANDIDATES.get(param, ["1"]))
    for choice in _product(options):
        try:
            return reverse(name, kwargs=dict(zip(names, choice, strict=True)))
        except NoReverseMatch:
            continue
    raise AssertionError(f"cannot build a URL for {name}")


def _product(options):
    if not options:
        yield ()
        return
    for first in options[0]:
        for rest in _product(options[1:]):
            yield (first, *rest)


def assert_secure(response, url):
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, url
    assert "script-src 'self'" in csp, url
    assert "unsafe-inline" not in csp, url
    assert "frame-ancestors 'none'" in csp, url
    assert headers.get("X-Frame-Options") == "DENY", url
    assert headers.get("X-Content-Type-Options") == "nosniff", url
    assert headers.get("Referrer-Policy") == "no-referrer", url
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", url
    assert "camera=()" in headers.get("Permissions-Policy", ""), url


@pytest.fixture
def every_url(cast):
    location = listed_location(organization=cast.shelter_x)
    issued = token_issue(
        organization=cast.shelter_x, name="t", scopes=["directory:read"], issuer=None
    )
    values = {
        "org": str(cast.shelter_x.code),
        "member": str(cast.caseworker_x.code),
        "code": str(location.code),
        "token": str(issued.token.code),
    }
    urls = [concrete_url(name, pattern, values) for name, pattern in named_patterns()]
    assert len(urls) > 40  # every app's pages, the API and the admin
    return urls


def test_every_url_has_the_headers_for_anonymous_visitors(client, every_url):
    for url in every_url:
        assert_secure(client.get(url), url)


def test_every_url_has_the_headers_for_a_signed_in_steward_and_admin(cast, signed_in, every_url):
    cast.admin_x.user.is_staff = cast.admin_x.user.is_superuser = True
    cast.admin_x.user.save()
    browser = signed_in(cast.admin_x.user)
    for url in every_url:
        response = browser.get(url)
        assert_secure(response, url)
        # Nothing a signed-in person sees may be kept in a cache.
        assert "no-store" in response.headers.get("Cache-Control", ""), url


def test_hsts_is_sent_over_https_in_production_settings(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 63072000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


def test_forms_work_under_no_referrer_with_the_csrf_token(db):
    """Browsers send ``Origin: null`` under ``Referrer-Policy: no-referrer``; Sec-Fetch-Site
    vouches for our own pages, and the token is still required."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    token = client.get("/accounts/sign-in/").context["csrf_token"]
    same_site = {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "same-origin"}
    data = {"email": "x@example.org", "password": "wrong password", "csrfmiddlewaretoken": token}
    assert client.post("/accounts/sign-in/", data, **same_site).status_code == 400
    cross_site = {"HTTP_ORIGIN": "null", "HTTP_SEC_FETCH_SITE": "cross-site"}
    assert client.post("/accounts/sign-in/", data, **cross_site).status_code == 403
    no_token = {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}
    assert client.post("/accounts/sign-in/", no_token, **same_site).status_code == 403
    evil = {"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "same-origin"}
    assert client.post("/accounts/sign-in/", data, **evil).status_code == 403
