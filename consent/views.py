"""Consent pages: the officer's request, the survivor's signing pages and portal.

Survivor pages are never cached, carry a quick-exit link first in tab order, and keep no
survivor data in any URL. With JavaScript, every step replaces the page in the browser's
history instead of adding to it (``static/js/survivor.js``), so quick exit leaves no
Haven page behind.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import segno
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config.forms import one_value
from consent import services
from consent.forms import (
    ConsentRequestForm,
    GrantForm,
    LinkCodeForm,
    PortalSignInForm,
    ShortenForm,
)
from consent.models import Consent, ConsentEvent, ConsentRequest, Receipt
from consent.selectors import (
    consent_get_for_receipt,
    consent_get_for_staff,
    consent_request_get_for_staff,
    consents_for_staff,
    receipt_consents,
)
from directory.models import Membership, Organization
from directory.selectors import memberships_for, user_is_verified
from directory.views import verified_required

View = Callable[..., HttpResponse]
# The same answer whether the code or the PIN was wrong, or the receipt is resting.
ERROR_PORTAL_SIGN_IN = gettext_lazy(
    "That code and PIN do not match. Check them and try again. After %(tries)d wrong tries, "
    "it waits %(minutes)d minutes before it lets anyone try again."
)
SURVIVOR_LANGUAGE = "survivor_language"
CAPTURE = "consent_capture"
PORTAL = "portal_receipt"
PORTAL_SINCE = "portal_since"
LINKS = "consent_links"
# The pages the language buttons may return to (anything else goes to the portal).
SURVIVOR_RETURNS = ("start", "capture", "portal", "portal-consents")


# --- Survivor pages: the common frame ------------------------------------------------------


def survivor_page(view: View) -> View:
    """Language chosen by the survivor, nothing cached, nothing indexed."""

    @functools.wraps(view)
    @never_cache
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = request.session.get(SURVIVOR_LANGUAGE) or translation.get_language()
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response["X-Robots-Tag"] = "noindex, nofollow"
        response.headers.setdefault("Content-Language", language)
        return response

    return wrapper


def survivor_redirect(request: HttpRequest, to: str) -> HttpResponse:
    """Post/redirect/get; survivor.js asks for the target instead and replaces the page."""
    if request.headers.get("X-Haven-Replace") == "1":
        return JsonResponse({"location": to})
    return HttpResponseRedirect(to)


def survivor_render(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = {"quick_exit_url": settings.HAVEN_QUICK_EXIT_URL, **(context or {})}
    return render(request, template, context, status=status)


@require_POST
@survivor_page
def survivor_language(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        request.session[SURVIVOR_LANGUAGE] = language
    back = request.POST.get("next", "")
    if back not in {reverse(f"consent:{name}") for name in SURVIVOR_RETURNS}:
        back = reverse("consent:portal")
    return survivor_redirect(request, back)


# --- Signing (on the survivor's phone or handed the officer's) ------------------------------


@require_safe
@survivor_page
def survivor_link(request: HttpRequest, secret: str) -> HttpResponse:
    """The link in the QR code. The one-time code goes into this browser's session and the
    page moves on to an address without it."""
    consent_request = services.consent_request_open(
        secret=secret, ip=get_client_ip_address(request) or None
    )
    if consent_request is None:
        return survivor_render(request, "consent/survivor/link_closed.html", status=404)
    request.session[CAPTURE] = consent_request.pk
    return survivor_redirect(request, reverse("consent:capture"))


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@survivor_page
def survivor_start(request: HttpRequest) -> HttpResponse:
    """Where a survivor types the short code an officer read out (instead of the QR code)."""
    if request.method == "GET" and _capture_request(request) is not None:
        return survivor_redirect(request, reverse("consent:capture"))
    form = LinkCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        consent_request = services.consent_request_open(
            secret=form.cleaned_data["code"], ip=get_client_ip_address(request) or None
        )
        if consent_request is not None:
            request.session[CAPTURE] = consent_request.pk
            return survivor_redirect(request, reverse("consent:capture"))
        form.add_error("code", services.ERROR_REQUEST_CLOSED)
    status = 400 if form.errors else 200
    return survivor_render(request, "consent/survivor/start.html", {"form": form}, status=status)


def _capture_request(request: HttpRequest) -> ConsentRequest | None:
    pk = request.session.get(CAPTURE)
    consent_request = ConsentRequest.objects.select_related("recipient").filter(
        pk=pk, completed_at__isnull=True
    ).first() if pk else None  # fmt: skip
    if consent_request is None or consent_request.expires_at <= timezone.now():
        return None
    return consent_request


@sensitive_post_parameters("pin", "pin2", "signature")
@require_http_methods(["GET", "POST"])
@survivor_page
def capture(request: HttpRequest) -> HttpResponse:
    consent_request = _capture_request(request)
    if consent_request is None:
        return survivor_render(request, "consent/survivor/link_closed.html", status=404)
    form = GrantForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Handed the officer's own signed-in device, or on the survivor's phone.
        on_officer_device = user_is_verified(request.user)
        try:
            granted = services.consent_grant(
                request=consent_request,
                items=data["items"],
                expires_at=data["expires_at"],
                acknowledgements=data["acknowledgements"],
                pin=data["pin"],
                signature=data["signature"],
                language=request.LANGUAGE_CODE,
                method=Consent.Method.OFFICER_DEVICE
                if on_officer_device
                else Consent.Method.SURVIVOR_DEVICE,
                interpreter_used=data["interpreter_used"],
                show_recipient_on_receipt=data["show_recipient"],
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            # The receipt is this response, not a page to come back to: its code is never
            # stored anywhere, so it is shown exactly once.
            request.session.pop(CAPTURE, None)
            context = {
                "code": granted.receipt_code,
                "consent": granted.consent,
                "portal_url": settings.SITE_URL + reverse("consent:portal"),
            }
            return survivor_render(request, "consent/survivor/receipt.html", context)
    context = {"form": form, "consent_request": consent_request}
    return survivor_render(
        request, "consent/survivor/capture.html", context, status=400 if form.errors else 200
    )


# --- The survivor portal --------------------------------------------------------------------


def _portal_receipt(request: HttpRequest) -> Receipt | None:
    pk, since = request.session.get(PORTAL), request.session.get(PORTAL_SINCE, 0)
    if not pk or time.time() - since > settings.HAVEN_PORTAL_MINUTES * 60:
        request.session.pop(PORTAL, None)
        return None
    return Receipt.objects.filter(pk=pk).first()


def portal_required(view: View) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        receipt = _portal_receipt(request)
        if receipt is None:
            return survivor_redirect(request, reverse("consent:portal"))
        return view(request, receipt, *args, **kwargs)

    return wrapper


@sensitive_post_parameters("code", "pin")
@require_http_methods(["GET", "POST"])
@survivor_page
def portal(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and _portal_receipt(request) is not None:
        return survivor_redirect(request, reverse("consent:portal-consents"))
    form = PortalSignInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        receipt = services.receipt_sign_in(
            code=form.cleaned_data["code"],
            pin=form.cleaned_data["pin"],
            ip=get_client_ip_address(request) or None,  # the address, as django-axes reads it
        )
        if receipt is not None:
            request.session.cycle_key()
            request.session[PORTAL], request.session[PORTAL_SINCE] = receipt.pk, time.time()
            request.session[SURVIVOR_LANGUAGE] = request.session.get(
                SURVIVOR_LANGUAGE, receipt.language
            )
            return survivor_redirect(request, reverse("consent:portal-consents"))
        form.add_error(None, ERROR_PORTAL_SIGN_IN % {
            "tries": settings.HAVEN_PORTAL_RECEIPT_LIMIT,
            "minutes": settings.HAVEN_PORTAL_LOCK_MINUTES,
        })  # fmt: skip
    status = 400 if form.errors else 200
    return survivor_render(request, "consent/survivor/portal.html", {"form": form}, status=status)


@require_safe
@survivor_page
@portal_required
def portal_consents(request: HttpRequest, receipt: Receipt) -> HttpResponse:
    consents = list(receipt_consents(receipt=receipt))
    seen = set(request.session.get("portal_seen", []))
    for consent in consents:
        if consent.code.hex not in seen:
            services.consent_viewed(consent=consent)
            seen.add(consent.code.hex)
    request.session["portal_seen"] = sorted(seen)
    context = {"consents": consents, "shorten_form": ShortenForm(), "now": timezone.now()}
    return survivor_render(request, "consent/survivor/consents.html", context)


@require_POST
@survivor_page
@portal_required
def portal_revoke(request: HttpRequest, receipt: Receipt, code: str) -> HttpResponse:
    consent = consent_get_for_receipt(receipt=receipt, code=code)
    try:
        services.consent_revoke(consent=consent, how=ConsentEvent.How.PORTAL)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Done. It is taken back, from now on."))
    return survivor_redirect(request, reverse("consent:portal-consents"))


@require_POST
@survivor_page
@portal_required
def portal_revoke_all(request: HttpRequest, receipt: Receipt) -> HttpResponse:
    services.consents_revoke_all(receipt=receipt)
    messages.success(request, _("Done. Everything is taken back, from now on."))
    return survivor_redirect(request, reverse("consent:portal-consents"))


@require_POST
@survivor_page
@portal_required
def portal_shorten(request: HttpRequest, receipt: Receipt, code: str) -> HttpResponse:
    consent = consent_get_for_receipt(receipt=receipt, code=code)
    form = ShortenForm(request.POST)
    if form.is_valid():
        try:
            services.consent_shorten(
                consent=consent, expires_at=form.cleaned_data["expires_at"],
                how=ConsentEvent.How.PORTAL,
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Done. It now ends sooner."))
    else:
        messages.error(request, _("Choose when it should end."))
    return survivor_redirect(request, reverse("consent:portal-consents"))


@require_POST
@survivor_page
def portal_sign_out(request: HttpRequest) -> HttpResponse:
    for key in (PORTAL, PORTAL_SINCE, "portal_seen"):
        request.session.pop(key, None)
    return survivor_redirect(request, reverse("consent:portal"))


# --- Staff pages ----------------------------------------------------------------------------


def _agency_membership(request: HttpRequest) -> Membership:
    membership = (
        memberships_for(request.user).filter(organization__kind=Organization.Kind.AGENCY).first()
    )
    if membership is None:
        raise PermissionDenied
    return membership


@require_http_methods(["GET", "POST"])
@verified_required
def request_new(request: HttpRequest) -> HttpResponse:
    membership = _agency_membership(request)
    initial = {
        "recipient": request.GET.get("recipient"),
        "services": request.GET.getlist("services"),
    }
    form = ConsentRequestForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            consent_request, secret = services.consent_request_start(
                requested_by=membership, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            links = request.session.get(LINKS, {})
            links[consent_request.code.hex] = secret
            request.session[LINKS] = links
            return redirect("consent:request", code=consent_request.code)
    return render(
        request, "consent/request_new.html", {"form": form}, status=400 if form.errors else 200
    )


@require_safe
@verified_required
def request_detail(request: HttpRequest, code: str) -> HttpResponse:
    consent_request = consent_request_get_for_staff(user=request.user, code=code)
    secret = request.session.get(LINKS, {}).get(consent_request.code.hex)
    link = qr = None
    open_now = consent_request.completed_at is None and consent_request.expires_at > timezone.now()
    if secret and open_now:
        link = settings.SITE_URL + reverse("consent:link", kwargs={"secret": secret})
        qr = segno.make(link, error="m").svg_data_uri(scale=5, border=2)
    context = {"consent_request": consent_request, "link": link, "qr": qr, "open_now": open_now,
               "secret": secret if open_now else None}  # fmt: skip
    return render(request, "consent/request.html", context)


@require_safe
@verified_required
def consent_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "consent/list.html", {"consents": consents_for_staff(user=request.user)[:200]}
    )


@require_safe
@verified_required
def consent_detail(request: HttpRequest, code: str) -> HttpResponse:
    consent = consent_get_for_staff(user=request.user, code=code)
    can_send = memberships_for(request.user).filter(
        organization_id=consent.requested_by.organization_id,
        role__in=[Membership.Role.OFFICER, Membership.Role.ORG_ADMIN],
    ).exists()  # fmt: skip
    context = {"consent": consent, "now": timezone.now(), "can_send": can_send}
    return render(request, "consent/detail.html", context)


@require_POST
@verified_required
def consent_revoke_by_phone(request: HttpRequest, code: str) -> HttpResponse:
    """A survivor asked by phone: staff record it, and the record says so."""
    consent = consent_get_for_staff(user=request.user, code=code)
    membership = memberships_for(request.user).filter(
        organization_id__in=[consent.recipient_id, consent.requested_by.organization_id]
    ).first()  # fmt: skip
    if membership is None or one_value(request.POST, "confirm") != "yes":
        messages.error(request, _("Tick the box to confirm the survivor asked for this."))
        return redirect("consent:detail", code=consent.code)
    try:
        services.consent_revoke(consent=consent, how=ConsentEvent.How.PHONE, by=membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Recorded: the consent is taken back."))
    return redirect("consent:detail", code=consent.code)
