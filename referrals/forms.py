"""The officer's referral form: coded Tier 1, then only the items the consent allows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.forms import OneValueEach
from consent.models import Consent, Item
from directory.models import Category, Hold, Location, Organization
from referrals.models import DeclineReason, Need, SafetyFlag, Urgency

ITEM_WIDGETS = {Item.NOTES.value: forms.Textarea(attrs={"rows": 4})}
ITEM_MAX = {Item.NOTES.value: 1000}


class ReferralForm(OneValueEach, forms.Form):
    location = forms.ChoiceField(label=_("Where"), required=False)
    hold = forms.ChoiceField(label=_("Bed hold to link"), required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, widget=forms.RadioSelect,
        initial=Urgency.STANDARD,
    )  # fmt: skip
    services = forms.MultipleChoiceField(
        label=_("Services requested"), widget=forms.CheckboxSelectMultiple
    )
    adults = forms.IntegerField(label=_("Adults"), min_value=1, max_value=20, initial=1)
    children_0_5 = forms.IntegerField(label=_("Children 0–5"), min_value=0, max_value=20, initial=0)
    children_6_12 = forms.IntegerField(
        label=_("Children 6–12"), min_value=0, max_value=20, initial=0
    )
    children_13_17 = forms.IntegerField(
        label=_("Children 13–17"), min_value=0, max_value=20, initial=0
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs"), choices=Need.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    language = forms.CharField(label=_("Language (code, e.g. es)"), max_length=8, required=False)
    safety = forms.MultipleChoiceField(
        label=_("Safety"), choices=SafetyFlag.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    callback = forms.CharField(
        label=_("Your callback phone or e-mail"), max_length=200,
        help_text=_("Yours, not the survivor's: the shelter calls you back here."),
    )  # fmt: skip

    def __init__(
        self, *args: Any, consent: Consent, holds: list[Hold], locations: list[Location],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        now = timezone.now()
        self.item_names = [name for name in Item.values if name in consent.items]
        self.fields["services"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in Category.choices if value in consent.services
        ]
        self.fields["location"].choices = [("", _("Any of their locations"))] + [  # type: ignore[attr-defined]
            (str(location.code), location.name) for location in locations
        ]
        self.fields["hold"].choices = [("", _("No hold"))] + [  # type: ignore[attr-defined]
            (str(hold.code), f"{hold.capacity.location.name} — "
             f"{hold.capacity.get_population_display()} "
             f"({int((hold.expires_at - now).total_seconds() // 60)} min)")
            for hold in holds if hold.expires_at > now
        ]  # fmt: skip
        for name in self.item_names:
            self.fields[f"item_{name}"] = forms.CharField(
                label=Item(name).label,
                max_length=ITEM_MAX.get(name, 300),
                required=False,
                widget=ITEM_WIDGETS.get(name, forms.TextInput(attrs={"autocomplete": "off"})),
                help_text=_("Leave empty to leave it out."),
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{name}"] for name in self.item_names]

    def items(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[f"item_{name}"]
            for name in self.item_names
            if (self.cleaned_data.get(f"item_{name}") or "").strip()
        }

    def household(self) -> dict[str, int]:
        names = ("adults", "children_0_5", "children_6_12", "children_13_17")
        return {name: self.cleaned_data[name] for name in names}


class ContactsForm(OneValueEach, forms.ModelForm):
    """Where the organisation hears of new referrals, and who is told when one waits."""

    class Meta:
        model = Organization
        fields = ["intake_email", "on_call_email"]
        labels = {"intake_email": _("Intake e-mail"), "on_call_email": _("On-call e-mail")}


class DeclineForm(OneValueEach, forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=DeclineReason.choices, widget=forms.RadioSelect
    )
