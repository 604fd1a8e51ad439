"""The directory's FilterSets: one definition of what a search can ask for and how it is checked."""

from __future__ import annotations

import copy
import re
from typing import Any

import django_filters
from django import forms
from django.conf import settings
from django.db.models import BooleanField, Exists, F, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.forms import OneValueEach
from directory.beds import beds_trust_window, free_bed_condition
from directory.hours import open_at_condition
from directory.languages import COMMON_LANGUAGES
from directory.models import (
    AccessibilityFeature,
    Category,
    Location,
    Population,
    Service,
    ServiceAtLocation,
    choice_bits,
)
from geo.distance import EARTH_RADIUS_MI, bounding_box, chord_squared_for_miles, unit_vector
from geo.places import NearError, Place, parse_near

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 8
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no", ""}


class NearField(forms.CharField):
    """Cleans the *near* text into a :class:`geo.places.Place`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "error_messages",
            {
                "required": _(
                    'Tell us where to search: a ZIP code (75201) or a city ("Dallas, TX").'
                )
            },
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Place:
        text = super().clean(value)
        try:
            return parse_near(text)
        except NearError as error:
            raise forms.ValidationError(str(error), code="invalid_near") from error


class StrictCheckboxInput(forms.CheckboxInput):
    """A checkbox that hands the submitted text to the field instead of coercing it to bool."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, check_test=lambda v: str(v).strip().lower() in _TRUE)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class StrictBooleanField(forms.Field):
    """true/false, 1/0, on/off, yes/no; anything else is an error, never a silent default."""

    widget = StrictCheckboxInput

    def to_python(self, value: Any) -> bool | None:
        if value is None or value is False:
            return None
        if value is True:
            return True
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return None
        raise forms.ValidationError(_("Use true or false."), code="invalid_boolean")


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class NearFilter(django_filters.Filter):
    field_class = NearField


class LanguageField(forms.CharField):
    def clean(self, value: Any) -> str:
        code = (super().clean(value) or "").strip().lower()
        if code and not _LANGUAGE.match(code):
            raise forms.ValidationError(
                _("Use a two- or three-letter ISO 639 language code, such as “es” for Spanish."),
                code="invalid_language",
            )
        return code


class LanguageFilter(django_filters.Filter):
    field_class = LanguageField


def _choice_message(label: str | Promise, codes: str) -> str:
    return gettext("Unknown %(label)s “%%(value)s”. Use one of: %(codes)s.") % {
        "label": label, "codes": codes,
    }  # fmt: skip


def _choice_error(label: str | Promise, choices: list[tuple[str, Any]]) -> dict[str, str]:
    """Built when the filter class is defined, so the message stays lazy: it is put into
    words (and the label translated) in the language of the request that fails."""
    codes = ", ".join(code for code, _label in choices)
    return {"invalid_choice": lazy(_choice_message, str)(label, codes)}


def within_radius(
    queryset: QuerySet[Location], place: Place, radius_mi: float
) -> QuerySet[Location]:
    """Locations whose search point lies within ``radius_mi``, nearest first.

    The bounding box lets the database use its index; the chord test is exact. Each row gets
    ``distance_mi`` as people will read it — tenths of a mile, or whole miles (at least one)
    for a confidential location — and results are ordered by that figure, so the list never
    shows a larger distance above a smaller one.
    """
    box = bounding_box(place.point, radius_mi)
    x, y, z = unit_vector(place.point.latitude, place.point.longitude)
    queryset = queryset.filter(search_latitude__gte=box.min_lat, search_latitude__lte=box.max_lat)
    if box.wraps:
        queryset = queryset.filter(
            Q(search_longitude__gte=box.min_lng) | Q(search_longitude__lte=box.max_lng)
        )
    else:
        queryset = queryset.filter(
            search_longitude__gte=box.min_lng, search_longitude__lte=box.max_lng
        )
    # Plain SQL arithmetic, the same on SQLite and PostgreSQL: one opaque expression is far
    # cheaper for the ORM to compile than a tree of F() objects, and search runs it per request.
    # Only numbers computed here are interpolated, as parameters; nothing comes from input.
    chord2 = "((ux - %s) * (ux - %s) + (uy - %s) * (uy - %s) + (uz - %s) * (uz - %s))"
    chord2_params = (x, x, y, y, z, z)
    miles = f"({2 * EARTH_RADIUS_MI!r} * ASIN(SQRT({chord2}) / 2.0))"
    distance = (
        f"CASE WHEN confidential THEN (CASE WHEN {miles} < 0.5 THEN 1.0 "
        f"ELSE FLOOR({miles} + 0.5) END) ELSE FLOOR({miles} * 10.0 + 0.5) / 10.0 END"
    )
    within = (f"{chord2} <= %s", (*chord2_params, chord_squared_for_miles(radius_mi)))
    return queryset.filter(RawSQL(*within, output_field=BooleanField())).annotate(  # noqa: S611
        distance_mi=RawSQL(  # noqa: S611
            distance, chord2_params * (distance.count("%s") // 6), output_field=FloatField()
        ),
        chord2=RawSQL(chord2, chord2_params, output_field=FloatField()),  # noqa: S611
    )


class SearchForm(OneValueEach, forms.Form):
    """A search asks each question once: ``near=a&near=b`` is refused, not half-read."""


class _SharedFields(dict[str, forms.Field]):
    """The search form's fields, shared by every search instead of deep-copied into each.

    Django copies a form's fields for every instance so that one instance may change its own;
    the search form never changes a field (nothing here may), and the copies were a tenth of
    the time a search spends in Python.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, forms.Field]:
        return dict(self)


class _FilterCopies(dict[str, django_filters.Filter]):
    """The search's filters, copied shallowly for each search instead of deeply.

    A FilterSet gives each instance its own filters because it points each one at the
    instance (``filter.parent``), which method filters call; that needs a copy of the filter
    object, not of its choices, widgets and messages, which nothing changes.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, django_filters.Filter]:
        copies = {}
        for name, original in self.items():
            clone = copy.copy(original)
            if original.method is not None:
                clone.method = original.method  # its FilterMethod now calls the clone's parent
            copies[name] = clone
        return copies


class LocationSearchFilter(django_filters.FilterSet):
    near = NearFilter(
        method="filter_nothing",
        required=True,
        label=_("Near"),
        help_text=_("A ZIP code, a city and state, or coordinates."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    radius_mi = django_filters.NumberFilter(
        method="filter_nothing",
        label=_("Within (miles)"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 200, "step": "any", "placeholder": "25"}),
        min_value=1,
        max_value=settings.HAVEN_SEARCH_MAX_RADIUS_MI,
        error_messages={
            "min_value": _("The radius must be at least %(limit_value)s mile."),
            "max_value": _("The radius can be at most %(limit_value)s miles."),
            "invalid": _("The radius must be a number of miles, such as 25."),
        },
    )
    q = django_filters.CharFilter(
        method="filter_text", max_length=MAX_QUERY_LENGTH, label=_("Words to look for")
    )
    category = django_filters.ChoiceFilter(
        choices=Category.choices,
        label=_("Kind of service"),
        empty_label=_("Any kind"),
        method="filter_nothing",
        error_messages=_choice_error(_("category"), Category.choices),
    )
    population = django_filters.ChoiceFilter(
        choices=Population.choices,
        label=_("Who it is for"),
        empty_label=_("Anyone"),
        method="filter_nothing",
        error_messages=_choice_error(_("population"), Population.choices),
    )
    language = LanguageFilter(
        method="filter_nothing",
        label=_("Language"),
        widget=forms.Select(choices=[("", _("Any language")), *COMMON_LANGUAGES]),
    )
    accessible = django_filters.ChoiceFilter(
        choices=AccessibilityFeature.choices,
        label=_("Accessibility"),
        empty_label=_("No preference"),
        method="filter_accessible",
        error_messages=_choice_error(_("accessibility feature"), AccessibilityFeature.choices),
    )
    open_now = StrictBooleanFilter(method="filter_open_now", label=_("Open now"))
    accepts_police_referrals = StrictBooleanFilter(
        method="filter_nothing", label=_("Accepts police referrals")
    )
    has_beds = StrictBooleanFilter(method="filter_has_beds", label=_("A bed free now"))

    class Meta:
        model = Location
        fields: list[str] = []
        form = SearchForm

    _form_class: type[forms.Form] | None = None

    def get_form_class(self) -> type[forms.Form]:
        """Built once: django-filter builds the form class and its fields afresh for every
        search, and they never differ (labels and messages stay lazy, so translated per
        request)."""
        cls = type(self)
        if cls.__dict__.get("_form_class") is None:
            form_class = super().get_form_class()
            form_class.base_fields = _SharedFields(form_class.base_fields)
            cls._form_class = form_class
        return cls._form_class  # type: ignore[return-value]

    def filter_nothing(
        self, queryset: QuerySet[Location], name: str, value: Any
    ) -> QuerySet[Location]:
        # Applied together in filter_queryset: they describe one service, not one each.
        return queryset

    def filter_queryset(self, queryset: QuerySet[Location]) -> QuerySet[Location]:
        data = self.form.cleaned_data
        radius = data.get("radius_mi") or settings.HAVEN_SEARCH_DEFAULT_RADIUS_MI
        queryset = within_radius(queryset.filter(search_listed=True), data["near"], float(radius))
        queryset = self._offer_filters(queryset, data)
        return super().filter_queryset(queryset).order_by("distance_mi", "chord2", "pk")

    @staticmethod
    def _offer_filters(queryset: QuerySet[Location], data: dict[str, Any]) -> QuerySet[Location]:
        """Filters on what services offer, answered from the location's search index.

        The index says what *some* active service here offers. One such filter is answered
        exactly by it; two or more must hold for the same service, so the index narrows the
        candidates and the services themselves decide.
        """
        wanted = 0
        if data.get("category"):
            bit = choice_bits(Category, [data["category"]])
            queryset = queryset.alias(has_category=F("search_categories").bitand(bit))
            queryset = queryset.filter(has_category__gt=0)
            wanted += 1
        if data.get("population"):
            bit = choice_bits(Population, [data["population"]])
            queryset = queryset.alias(has_population=F("search_populations").bitand(bit))
            queryset = queryset.filter(has_population__gt=0)
            wanted += 1
        if data.get("language"):
            queryset = queryset.filter(search_languages__contains=f",{data['language']},")
            wanted += 1
        if data.get("accepts_police_referrals"):
            queryset = queryset.filter(search_police=True)
            wanted += 1
        if data.get("category") and data.get("population"):
            # The commonest pair is indexed too ("a shelter for men"), so it needs no look-up.
            offer = f",{data['category']}:{data['population']},"
            queryset = queryset.filter(search_offers__contains=offer)
            wanted -= 1
        if wanted >= 2:
            queryset = queryset.filter(LocationSearchFilter._same_service(data))
        return queryset

    @staticmethod
    def _same_service(data: dict[str, Any]) -> Exists:
        """At least one active service here matches every service-level filter at once."""
        condition = Q(service__status=Service.Status.ACTIVE)
        if data.get("category"):
            condition &= Q(service__category=data["category"])
        if data.get("population"):
            condition &= Q(service__populations__population=data["population"])
        if data.get("language"):
            condition &= Q(service__languages__iso_code=data["language"]) | Q(
                location__languages__iso_code=data["language"]
            )
        if data.get("accepts_police_referrals"):
            condition &= Q(service__accepts_police_referrals=True)
        return Exists(ServiceAtLocation.objects.filter(condition, location=OuterRef("pk")))

    def filter_text(
        self, queryset: QuerySet[Location], name: str, value: str
    ) -> QuerySet[Location]:
        for word in value.split()[:MAX_QUERY_WORDS]:
            in_services = ServiceAtLocation.objects.filter(
                Q(service__name__icontains=word) | Q(service__description__icontains=word),
                location=OuterRef("pk"),
                service__status=Service.Status.ACTIVE,
            )
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(organization__name__icontains=word)
                | Q(Exists(in_services))
            )
        return queryset

    def filter_accessible(
        self, queryset: QuerySet[Location], name: str, value: str
    ) -> QuerySet[Location]:
        bit = choice_bits(AccessibilityFeature, [value])
        queryset = queryset.alias(has_feature=F("search_accessibility").bitand(bit))
        return queryset.filter(has_feature__gt=0)

    def filter_has_beds(
        self, queryset: QuerySet[Location], name: str, value: bool | None
    ) -> QuerySet[Location]:
        """A bed free now for the population asked for (any, if none), counted recently
        enough to trust. Who may ask is decided before: see location_search."""
        if not value:
            return queryset
        population = self.form.cleaned_data.get("population") or None
        now = timezone.now()
        # The index's sieve first (a superset: beds not occupied, holds aside, newest count
        # recent enough), then the capacities decide, holds counted to the second.
        queryset = queryset.filter(
            search_has_beds=True, search_beds_counted_at__gte=now - beds_trust_window()
        )
        bits = choice_bits(Population, [population]) if population else -1
        queryset = queryset.alias(beds_open=F("search_beds_open").bitand(bits))
        queryset = (
            queryset.filter(beds_open__gt=0) if population else queryset.exclude(search_beds_open=0)
        )
        return queryset.filter(free_bed_condition(at=now, population=population, using=queryset.db))

    def filter_open_now(
        self, queryset: QuerySet[Location], name: str, value: bool | None
    ) -> QuerySet[Location]:
        if not value:
            return queryset
        # Most shelters and hotlines never close: the index says so without a look at hours.
        time_zones = (
            queryset.filter(search_always_open=False)
            .order_by()
            .values_list("time_zone", flat=True)
            .distinct()
        )
        return queryset.filter(open_at_condition(timezone.now(), list(time_zones)))


LocationSearchFilter.base_filters = _FilterCopies(LocationSearchFilter.base_filters)
