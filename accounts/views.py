"""Sign-in with a second factor, password reset, invitations, members and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.oath import TOTP

from accounts import services
from accounts.forms import (
    CodeForm,
    EmailForm,
    EnrolForm,
    InviteForm,
    NewAccountForm,
    NewPasswordForm,
    RoleForm,
    SignInForm,
    TokenForm,
)
from accounts.models import User
from accounts.selectors import (
    invitation_list_open,
    member_list,
    pending_authenticator,
    token_get_for_admin,
    token_list,
)
from directory.selectors import (
    member_get_for_admin,
    membership_get_for_user,
    memberships_for,
    require_admin,
    user_has_second_factor,
    user_is_verified,
)
from directory.views import redirect_to, verified_required

View = Callable[..., HttpResponse]
DEMO_DOMAIN = "@demo.haven.invalid"


def _second_step(user: Any) -> str:
    return "accounts:verify" if user_has_second_factor(user) else "accounts:mfa-setup"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


# --- Sign-in --------------------------------------------------------------------------------


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if user_is_verified(request.user):
        return HttpResponseRedirect(_next(request))
    form = SignInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = services.account_sign_in(request=request, **form.cleaned_data)
        if user is not None:
            return redirect_to(request, _second_step(user), next_url=_next(request))
        form.add_error(None, _("That e-mail address and password do not match an account."))
    status = 400 if form.errors else 200
    return render(
        request, "accounts/sign_in.html", {"form": form, "next": _next(request)}, status=status
    )


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """django-axes calls this once an e-mail and address have failed too often."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to(request, "accounts:sign-in")
    if user_is_verified(request.user):
        return HttpResponseRedirect(_next(request))
    if not user_has_second_factor(request.user):
        return redirect_to(request, "accounts:mfa-setup", next_url=_next(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if services.account_verify(
            request=request, user=request.user, code=form.cleaned_data["code"]
        ):
            return HttpResponseRedirect(_next(request))
        form.add_error(
            "code", _("That code did not work. Codes change every 30 seconds; try the newest one.")
        )
    context = {"form": form, "next": _next(request), "demo_code": _demo_code(request.user)}
    return render(request, "accounts/verify.html", context, status=400 if form.errors else 200)


def _demo_code(user: Any) -> str | None:
    """Demo accounts of a demo deployment see their current code (never in production)."""
    if not settings.HAVEN_DEMO_MODE or not user.email.endswith(DEMO_DOMAIN):
        return None
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to(request, "accounts:sign-in")
    # Someone with a working authenticator replaces it only after proving they hold it.
    if user_has_second_factor(user) and not user_is_verified(user):
        return redirect_to(request, "accounts:verify", next_url=_next(request))
    form = EnrolForm(request.POST if request.method == "POST" else None)
    device = pending_authenticator(user=user)
    if request.method == "POST" and device is not None and form.is_valid():
        codes = services.mfa_enrolment_confirm(
            request=request,
            user=user,
            device=device,
            code=form.cleaned_data["code"],
        )
        if codes is not None:
            return render(
                request, "accounts/backup_codes.html", {"codes": codes, "next": _next(request)}
            )
        form.add_error(
            "code",
            _("That code did not match. Check the app shows “Haven” and try the newest code."),
        )
    if device is None or request.method == "GET":
        device = services.mfa_enrolment_start(user=user)
    context = {
        "form": form,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": " ".join(_base32(device.bin_key)[i : i + 4] for i in range(0, 32, 4)),
        "next": _next(request),
    }
    return render(request, "accounts/mfa_setup.html", context, status=400 if form.errors else 200)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    services.account_sign_out(request=request)
    messages.info(request, _("You are signed out."))
    return redirect("accounts:sign-in")


# --- Password reset -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(request=request, email=form.cleaned_data["email"])
        return render(request, "accounts/password_reset_sent.html")
    return render(
        request, "accounts/password_reset.html", {"form": form}, status=400 if form.errors else 200
    )


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = _reset_user(uidb64, token)
    if user is None:
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = NewPasswordForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        services.password_reset_complete(user=user, password=form.cleaned_data["password1"])
        messages.success(
            request, _("Your password is changed. Sign in with it and your authenticator app.")
        )
        return redirect("accounts:sign-in")
    return render(
        request,
        "accounts/password_reset_confirm.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _reset_user(uidb64: str, token: str) -> User | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


# --- Invitations ----------------------------------------------------------------------------


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    invite = services.invitation_get_open(secret=secret)
    if invite is None:
        return render(request, "accounts/invitation_closed.html", status=404)
    user = request.user if request.user.is_authenticated else None
    existing = user is None and User.objects.filter(email__iexact=invite.email).exists()
    form = NewAccountForm(
        request.POST if request.method == "POST" else None, user=User(email=invite.email)
    )
    if request.method == "POST" and (user is not None or (not existing and form.is_valid())):
        try:
            services.invitation_accept(
                invitation=invite, user=user,
                name=form.cleaned_data.get("name", "") if user is None else "",
                password=form.cleaned_data.get("password1", "") if user is None else "",
            )  # fmt: skip
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("accounts:invitation", secret=secret)
        messages.success(request, _("Welcome. Sign in to set up your authenticator app."))
        return redirect("accounts:home" if user is not None else "accounts:sign-in")
    context = {"invitation": invite, "form": form, "existing": existing, "signed_in_as": user}
    return render(request, "accounts/invitation.html", context, status=400 if form.errors else 200)


# --- Home, members and tokens ---------------------------------------------------------------


@require_safe
@verified_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", {"memberships": memberships_for(request.user)})


def _members_page(
    request: HttpRequest,
    membership: Any,
    *,
    invite_form: InviteForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    organization = membership.organization
    context = {
        "membership": membership,
        "organization": organization,
        "members": member_list(organization=organization),
        "invitations": invitation_list_open(organization=organization)
        if membership.is_admin
        else [],
        "invite_form": invite_form or InviteForm(organization=organization),
        "role_form": RoleForm(organization=organization),
        "error": error,
    }
    return render(request, "accounts/members.html", context, status=status)


@require_safe
@verified_required
def members(request: HttpRequest, org: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, organization_code=org)
    return _members_page(request, membership)


@require_POST
@verified_required
def member_invite(request: HttpRequest, org: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, organization_code=org)
    require_admin(membership)
    form = InviteForm(request.POST, organization=membership.organization)
    if form.is_valid():
        try:
            services.invitation_create(inviter=membership, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            email = form.cleaned_data["email"]
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": email})
            return redirect("accounts:members", org=org)
    return _members_page(request, membership, invite_form=form, status=400)


@require_POST
@verified_required
def member_role(request: HttpRequest, org: str, member: str) -> HttpResponse:
    admin = membership_get_for_user(user=request.user, organization_code=org)
    require_admin(admin)
    target = member_get_for_admin(admin=admin, code=member)
    form = RoleForm(request.POST, organization=admin.organization)
    if not form.is_valid():
        return _members_page(request, admin, error=_first_error(form), status=400)
    try:
        services.membership_change_role(
            admin=admin, membership=target, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        return _members_page(request, admin, error=" ".join(error.messages), status=400)
    messages.success(request, _("Role changed."))
    return redirect("accounts:members", org=org)


@require_POST
@verified_required
def member_deactivate(request: HttpRequest, org: str, member: str) -> HttpResponse:
    admin = membership_get_for_user(user=request.user, organization_code=org)
    require_admin(admin)
    target = member_get_for_admin(admin=admin, code=member)
    try:
        services.membership_deactivate(admin=admin, membership=target)
    except ValidationError as error:
        return _members_page(request, admin, error=" ".join(error.messages), status=400)
    messages.success(request, _("%(email)s no longer has access.") % {"email": target.user.email})
    return redirect("accounts:members", org=org)


def _first_error(form: Any) -> str:
    return str(next(iter(form.errors.values()))[0])


@require_safe
@verified_required
def tokens(request: HttpRequest, org: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, organization_code=org)
    require_admin(membership)
    context = {
        "organization": membership.organization,
        "tokens": token_list(organization=membership.organization),
        "form": TokenForm(),
    }
    return render(request, "accounts/tokens.html", context)


@require_POST
@verified_required
def token_issue(request: HttpRequest, org: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, organization_code=org)
    require_admin(membership)
    form = TokenForm(request.POST)
    if not form.is_valid():
        context = {"organization": membership.organization, "form": form,
                   "tokens": token_list(organization=membership.organization)}  # fmt: skip
        return render(request, "accounts/tokens.html", context, status=400)
    issued = services.token_issue(
        organization=membership.organization, issuer=membership, **form.cleaned_data
    )
    return render(
        request,
        "accounts/token_issued.html",
        {"issued": issued, "organization": membership.organization},
    )


@require_POST
@verified_required
def token_revoke(request: HttpRequest, org: str, token: str) -> HttpResponse:
    membership = membership_get_for_user(user=request.user, organization_code=org)
    require_admin(membership)
    services.token_revoke(token=token_get_for_admin(admin=membership, code=token), actor=membership)
    messages.success(request, _("Token revoked. Integrations using it stop working now."))
    return redirect("accounts:tokens", org=org)
