"""Forms validate; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User
from config.forms import OneValueEach
from directory.models import Membership, Organization

ERROR_PASSWORDS_DIFFER = _("The two passwords are not the same.")


class SignInForm(OneValueEach, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )  # fmt: skip
    password = forms.CharField(
        label=_("Password"), max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )  # fmt: skip


class CodeForm(OneValueEach, forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text",
                                      "autofocus": True, "spellcheck": "false"}),
    )  # fmt: skip


class EnrolForm(OneValueEach, forms.Form):
    code = forms.RegexField(
        label=_("The 6-digit code your app shows now"), regex=r"^\s*\d{6}\s*$", max_length=12,
        error_messages={"invalid": _("Enter the 6 digits your app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )  # fmt: skip


class EmailForm(OneValueEach, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )  # fmt: skip


class NewPasswordForm(OneValueEach, forms.Form):
    password1 = forms.CharField(
        label=_("New password"), strip=False, max_length=256,
        help_text=_("At least 12 characters. A few unrelated words make a strong one."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip
    password2 = forms.CharField(
        label=_("The same password again"), strip=False, max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", ERROR_PASSWORDS_DIFFER)
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class NewAccountForm(NewPasswordForm):
    name = forms.CharField(label=_("Your name"), max_length=150)

    field_order = ["name", "password1", "password2"]


def _role_field(organization: Organization) -> forms.ChoiceField:
    """The roles this kind of organisation has: officers in agencies, caseworkers in
    providers, admins in both."""
    allowed = Membership.ROLES_BY_KIND[Organization.Kind(organization.kind)]
    choices = [(value, label) for value, label in Membership.Role.choices if value in allowed]
    return forms.ChoiceField(label=_("Role"), choices=choices)


class InviteForm(OneValueEach, forms.Form):
    email = forms.EmailField(label=_("Their e-mail address"), max_length=254)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"] = _role_field(organization)


class RoleForm(OneValueEach, forms.Form):
    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"] = _role_field(organization)


class TokenForm(OneValueEach, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. “bed board”.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"), choices=ApiToken.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
