"""Referral pages: the officer's send form and status view, the provider's inbox, decision and
packet opening, and the organisation admin's keys page.

The packet is only ever shown in the answer to a POST (never a GET that a browser or proxy
might keep or prefetch), with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config.forms import one_value
from consent.models import Consent, Item
from consent.selectors import consent_get_for_staff
from directory.models import Hold, Location, Membership
from directory.selectors import (
    membership_get_for_user,
    require_admin,
)
from directory.views import verified_required
from referrals import crypto, services
from referrals.forms import ContactsForm, DeclineForm, ReferralForm
from referrals.models import Referral
from referrals.selectors import (
    agency_membership,
    inbox_for,
    keys_for,
    recipient_membership,
    referral_get_for_user,
    send_choices,
    sender_membership,
    sent_for,
)

View = Callable[..., HttpResponse]


def _message(error: ValidationError | services.ReferralConflict) -> str:
    if isinstance(error, services.ReferralConflict):
        return error.message
    return " ".join(error.messages)


# --- Sending --------------------------------------------------------------------------------


def _sender_for_consent(request: HttpRequest, consent: Consent) -> Membership:
    membership = agency_membership(request.user, consent.requested_by.organization_id)
    if membership is None:
        raise PermissionDenied
    return membership


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
@verified_required
def referral_new(request: HttpRequest, consent_code: str) -> HttpResponse:
    """Send a referral under a consent: coded fields, then only the consented items."""
    consent = consent_get_for_staff(user=request.user, code=consent_code)
    membership = _sender_for_consent(request, consent)
    choices = send_choices(agency=membership.organization, recipient=consent.recipient)
    form = ReferralForm(
        request.POST if request.method == "POST" else None,
        consent=consent,
        # The hold the officer placed for this person, when there is only one to choose.
        initial={"hold": str(choices["holds"][0].code) if len(choices["holds"]) == 1 else ""},
        **choices,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        holds = {str(hold.code): hold for hold in choices["holds"]}
        locations = {str(location.code): location for location in choices["locations"]}
        hold: Hold | None = holds.get(data["hold"])
        location: Location | None = locations.get(data["location"])
        try:
            referral = services.referral_send(
                agency=membership.organization,
                sent_by=membership,
                recipient=consent.recipient,
                consent=consent,
                tier1=services.Tier1(
                    urgency=data["urgency"],
                    services=data["services"],
                    household=form.household(),
                    callback=data["callback"],
                    needs=data["needs"],
                    language=data["language"],
                    safety=data["safety"],
                ),
                items=form.items(),
                location=location,
                hold=hold,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    name = f"item_{field}" if f"item_{field}" in form.fields else field
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("Sent. The shelter has been told a referral is waiting."))
            return redirect("referrals:detail", code=referral.code)
    status = 400 if form.errors else 200
    context = {"form": form, "consent": consent}
    return render(request, "referrals/new.html", context, status=status)


# --- Lists and the detail -------------------------------------------------------------------


@require_safe
@verified_required
def inbox(request: HttpRequest) -> HttpResponse:
    referrals = list(inbox_for(user=request.user)[:200])
    return render(request, "referrals/inbox.html", {"referrals": referrals, "now": timezone.now()})


@require_safe
@verified_required
def sent(request: HttpRequest) -> HttpResponse:
    referrals = list(sent_for(user=request.user)[:200])
    return render(request, "referrals/sent.html", {"referrals": referrals, "now": timezone.now()})


@require_safe
@verified_required
def referral_detail(request: HttpRequest, code: str) -> HttpResponse:
    referral = referral_get_for_user(user=request.user, code=code)
    deciding = recipient_membership(request.user, referral)
    if deciding is not None:
        referral = services.referral_mark_viewed(referral=referral, by=deciding)
    context = {
        "referral": referral,
        "deciding": deciding,
        "sending": sender_membership(request.user, referral),
        "decline_form": DeclineForm(),
        "now": timezone.now(),
        "packet_kept": referral.packet_destroyed_at is None,
    }
    return render(request, "referrals/detail.html", context)


# --- Decisions ------------------------------------------------------------------------------


def _decision(request: HttpRequest, code: str, *, side: str) -> tuple[Referral, Membership]:
    referral = referral_get_for_user(user=request.user, code=code)
    finder = recipient_membership if side == "recipient" else sender_membership
    membership = finder(request.user, referral)
    if membership is None:
        raise PermissionDenied
    return referral, membership


def _after(
    request: HttpRequest, referral: Referral, action: Callable[[], Any], done: str
) -> HttpResponse:
    try:
        action()
    except (ValidationError, services.ReferralConflict) as error:
        messages.error(request, _message(error))
    else:
        messages.success(request, done)
    return redirect("referrals:detail", code=referral.code)


@require_POST
@verified_required
def referral_accept(request: HttpRequest, code: str) -> HttpResponse:
    referral, membership = _decision(request, code, side="recipient")
    return _after(
        request, referral,
        lambda: services.referral_accept(referral=referral, by=membership),
        _("Accepted. The bed held for this referral is now counted as occupied."),
    )  # fmt: skip


@require_POST
@verified_required
def referral_decline(request: HttpRequest, code: str) -> HttpResponse:
    referral, membership = _decision(request, code, side="recipient")
    reason = one_value(request.POST, "reason")
    return _after(
        request, referral,
        lambda: services.referral_decline(referral=referral, by=membership, reason=reason),
        _("Declined. The officer sees your reason; the held bed is free again."),
    )  # fmt: skip


@require_POST
@verified_required
def referral_withdraw(request: HttpRequest, code: str) -> HttpResponse:
    referral, membership = _decision(request, code, side="sender")
    return _after(
        request, referral,
        lambda: services.referral_withdraw(referral=referral, by=membership),
        _("Withdrawn. Its details were destroyed and the held bed is free again."),
    )  # fmt: skip


@require_POST
@verified_required
def referral_complete(request: HttpRequest, code: str) -> HttpResponse:
    referral, membership = _decision(request, code, side="recipient")
    return _after(
        request, referral,
        lambda: services.referral_complete(referral=referral, by=membership),
        _("Intake complete. The sealed details have been destroyed."),
    )  # fmt: skip


@require_POST
@never_cache
@verified_required
def packet_open(request: HttpRequest, code: str) -> HttpResponse:
    """Open the sealed details, for the recipient's caseworkers, answered to a POST only."""
    referral, membership = _decision(request, code, side="recipient")
    try:
        items = services.packet_open(referral=referral, by=membership)
    except services.ReferralConflict as error:
        messages.error(request, error.message)
        return redirect("referrals:detail", code=referral.code)
    except crypto.KeyEncryptionKeyError:
        messages.error(
            request,
            _("The sealed details cannot be opened on this server right now: its key "
              "configuration is wrong. Tell your network steward."),
        )  # fmt: skip
        return redirect("referrals:detail", code=referral.code)
    labelled = [
        (Item(name).label if name in Item.values else name, items[name])
        for name in Item.values
        if name in items
    ]
    return render(request, "referrals/packet.html", {"referral": referral, "items": labelled})


# --- Keys -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@verified_required
def organization_keys(request: HttpRequest, organization_code: str) -> HttpResponse:
    """The organisation's referral settings: where referrals are announced, and its
    encryption keys with fingerprints to check with the steward. Admins change both."""
    membership = membership_get_for_user(user=request.user, organization_code=organization_code)
    organization = membership.organization
    if organization.kind != organization.Kind.PROVIDER:
        raise Http404
    contacts = ContactsForm(instance=organization)
    if request.method == "POST":
        require_admin(membership)
        if one_value(request.POST, "action") == "contacts":
            contacts = ContactsForm(request.POST, instance=organization)
            if contacts.is_valid():
                contacts.save()
                messages.success(request, _("Saved."))
                return redirect("referrals:keys", organization_code=organization.code)
        elif one_value(request.POST, "confirm") != "yes":
            messages.error(request, _("Tick the box to confirm the new key."))
            return redirect("referrals:keys", organization_code=organization.code)
        else:
            try:
                services.org_key_create(organization=organization, by=membership)
            except crypto.KeyEncryptionKeyError:
                messages.error(
                    request, _("The server cannot make keys right now. Tell your network steward.")
                )
            else:
                messages.success(
                    request, _("A new key is active. Your admins have been told by e-mail.")
                )
            return redirect("referrals:keys", organization_code=organization.code)
    keys = [
        (key, crypto.fingerprint(bytes(key.public_key)))
        for key in keys_for(organization=organization)
    ]
    context = {"organization": organization, "keys": keys, "is_admin": membership.is_admin,
               "contacts": contacts}  # fmt: skip
    status = 400 if contacts.errors else 200
    return render(request, "referrals/keys.html", context, status=status)
