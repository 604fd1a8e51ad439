"""Directory forms: they validate; the services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from config.forms import OneValueEach
from directory.models import Population


class HoldPlaceForm(OneValueEach, forms.Form):
    """The hidden fields of a listing's "hold a bed" button."""

    location = forms.UUIDField()
    population = forms.ChoiceField(choices=Population.choices)
    agency = forms.UUIDField(required=False, help_text=_("Only for someone in several agencies."))
