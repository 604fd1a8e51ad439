"""Consent forms. Survivor-facing labels are plain, short and translated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.forms import OneValueEach
from consent.models import Acknowledgement, Item
from directory.models import Category, Organization

ERROR_PINS_DIFFER = _("The two PINs are not the same.")


def expiry_choices() -> list[tuple[str, str]]:
    days = [d for d in (1, 3, 7, 14, 30) if d <= settings.HAVEN_CONSENT_MAX_DAYS]
    labels = {1: _("1 day"), 3: _("3 days"), 7: _("1 week"), 14: _("2 weeks"), 30: _("30 days")}
    return [(str(d), str(labels[d])) for d in days]


class ConsentRequestForm(OneValueEach, forms.Form):
    recipient = forms.ModelChoiceField(
        label=_("Organisation that will receive the referral"),
        queryset=Organization.objects.filter(kind=Organization.Kind.PROVIDER).order_by("name"),
        to_field_name="code",
    )
    services = forms.MultipleChoiceField(
        label=_("What the referral is for"), choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip


class GrantForm(OneValueEach, forms.Form):
    items = forms.MultipleChoiceField(
        label=_("What may be shared"), choices=Item.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing you agree to share.")},
    )  # fmt: skip
    days = forms.ChoiceField(
        label=_("How long this lasts"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose when this ends.")},
    )  # fmt: skip
    acknowledgements = forms.MultipleChoiceField(
        label=_("I understand that"), choices=Acknowledgement.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Please read and tick each point before you agree.")},
    )  # fmt: skip
    interpreter_used = forms.BooleanField(label=_("An interpreter helped me"), required=False)
    show_recipient = forms.BooleanField(
        label=_("Print the organisation's name on my receipt"), required=False,
        help_text=_("Leave this off if someone might see your receipt."),
    )  # fmt: skip
    pin = forms.CharField(
        label=_("Choose a PIN"), min_length=6, max_length=12, strip=True,
        help_text=_(
            "6 to 12 digits. With your receipt code, it lets you see or change this later."
        ),
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )  # fmt: skip
    pin2 = forms.CharField(
        label=_("The same PIN again"), max_length=12, strip=True,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )  # fmt: skip
    signature = forms.CharField(
        label=_("Sign: type your name or initials"), max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["days"]).choices = expiry_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin2") and data["pin"] != data["pin2"]:
            self.add_error("pin2", ERROR_PINS_DIFFER)
        if data.get("days"):
            data["expires_at"] = timezone.now() + timedelta(days=int(data["days"]))
        return data


class LinkCodeForm(OneValueEach, forms.Form):
    code = forms.CharField(
        label=_("The code the officer gave you"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )  # fmt: skip


class PortalSignInForm(OneValueEach, forms.Form):
    code = forms.CharField(
        label=_("Receipt code"), max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )  # fmt: skip
    pin = forms.CharField(
        label=_("PIN"), max_length=12,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip


class ShortenForm(OneValueEach, forms.Form):
    days = forms.ChoiceField(label=_("End it after"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = cast(forms.ChoiceField, self.fields["days"])
        days.choices = [("0", _("Today, at midnight")), *expiry_choices()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("days") is not None:
            days = int(data["days"])
            now = timezone.localtime()
            if days == 0:
                end = now.replace(hour=23, minute=59, second=59, microsecond=0)
            else:
                end = now + timedelta(days=days)
            data["expires_at"] = end
        return data
