"""Directory administration for network stewards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import (
    Accessibility,
    Address,
    Attribute,
    Language,
    Location,
    Membership,
    Organization,
    Phone,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServicePopulation,
    Taxonomy,
    TaxonomyTerm,
)
from directory.services import apply_placement, location_index_refresh


class KnownChoicesOnly(AutocompleteSelect):
    """Django's autocomplete box, able to show a form again whose value is not an id at all
    (text sent for a number): Django looks such a value up and fails with a server error;
    here it simply has no option to show, and the field's own error says why."""

    def optgroups(self, name: str, value: Sequence[str], attr: Any = None) -> Any:
        remote = self.field.remote_field
        options = remote.model._meta
        target = options.get_field(getattr(remote, "field_name", None) or options.pk.name)
        kept = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            kept.append(item)
        return super().optgroups(name, kept, attr)


class SafeAutocomplete:
    """Autocomplete fields that survive any value (see :class:`KnownChoicesOnly`)."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = KnownChoicesOnly(
                db_field,
                self.admin_site,  # type: ignore[attr-defined]
                using=kwargs.get("using"),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class UrlsAssumeHttps:
    """Web addresses typed without a scheme are taken as https:// (Django 6's default)."""

    formfield_overrides: ClassVar[Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]] = {
        models.URLField: {"assume_scheme": "https"}
    }


class VerificationFilter(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "verification"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("stale", _("Needs verification")), ("fresh", _("Recently verified"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        cutoff = timezone.localdate() - timedelta(days=settings.HAVEN_LISTING_STALE_DAYS)
        stale = Q(assured_date__isnull=True) | Q(assured_date__lt=cutoff)
        if self.value() == "stale":
            return queryset.filter(stale)
        if self.value() == "fresh":
            return queryset.exclude(stale)
        return queryset


class PlacementFilter(admin.SimpleListFilter):
    """Locations an import could not place (no coordinates): not shown in search until a
    steward gives them a position."""

    title = _("position")
    parameter_name = "placed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("no", _("Not placed")), ("yes", _("Placed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        unplaced = Q(latitude__isnull=True) | Q(longitude__isnull=True)
        if self.value() == "no":
            return queryset.filter(unplaced)
        if self.value() == "yes":
            return queryset.exclude(unplaced)
        return queryset


class AddressInline(UrlsAssumeHttps, admin.StackedInline):
    model = Address
    extra = 0


class PhoneInline(UrlsAssumeHttps, admin.TabularInline):
    model = Phone
    extra = 0
    fields = ["number", "extension", "type", "intake", "description"]


class LocationLanguageInline(UrlsAssumeHttps, admin.TabularInline):
    model = Language
    fk_name = "location"
    extra = 0
    fields = ["iso_code", "name", "note"]


class ServiceLanguageInline(LocationLanguageInline):
    fk_name = "service"


class AccessibilityInline(UrlsAssumeHttps, admin.TabularInline):
    model = Accessibility
    extra = 0
    fields = ["feature", "description", "details", "url"]


class ScheduleInline(UrlsAssumeHttps, admin.TabularInline):
    model = Schedule
    extra = 0
    fields = [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
        "opens_at", "closes_at", "valid_from", "valid_to", "description",
    ]  # fmt: skip


class ServiceScheduleInline(ScheduleInline):
    fk_name = "service"


class ScheduleExceptionInline(UrlsAssumeHttps, admin.TabularInline):
    model = ScheduleException
    extra = 0


class ServiceAtLocationInline(SafeAutocomplete, UrlsAssumeHttps, admin.TabularInline):
    model = ServiceAtLocation
    extra = 0
    autocomplete_fields = ["service", "location"]
    fields = ["service", "location", "description"]


class ServicePopulationInline(UrlsAssumeHttps, admin.TabularInline):
    model = ServicePopulation
    extra = 0


class MembershipInline(SafeAutocomplete, UrlsAssumeHttps, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active", "deactivated_at"]
    readonly_fields = ["deactivated_at"]


@admin.register(Organization)
class OrganizationAdmin(UrlsAssumeHttps, admin.ModelAdmin):
    list_display = ["name", "kind", "email", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "alternate_name", "code"]
    readonly_fields = ["code", "created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Service)
class ServiceAdmin(SafeAutocomplete, UrlsAssumeHttps, admin.ModelAdmin):
    list_display = ["name", "organization", "category", "status", "assured_date"]
    list_filter = ["category", "status", VerificationFilter, "accepts_police_referrals"]
    search_fields = ["name", "organization__name", "code"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["code", "created_at", "updated_at"]
    inlines = [
        ServicePopulationInline, ServiceLanguageInline, ServiceScheduleInline,
        ServiceAtLocationInline,
    ]  # fmt: skip

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # What the service offers is copied into its locations' search index.
        at = form.instance.at_locations
        before = set(at.values_list("location_id", flat=True))
        super().save_related(request, form, formsets, change)
        location_index_refresh(location_ids=before | set(at.values_list("location_id", flat=True)))


@admin.register(Location)
class LocationAdmin(SafeAutocomplete, UrlsAssumeHttps, admin.ModelAdmin):
    list_display = ["name", "organization", "placed", "confidential", "time_zone", "updated_at"]
    list_filter = [PlacementFilter, "confidential", "location_type", "time_zone"]
    search_fields = ["name", "organization__name", "code"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["code", "time_zone", "created_at", "updated_at"]
    inlines = [
        AddressInline, PhoneInline, LocationLanguageInline, AccessibilityInline,
        ScheduleInline, ScheduleExceptionInline, ServiceAtLocationInline,
    ]  # fmt: skip

    @admin.display(boolean=True, description=_("placed"))
    def placed(self, obj: Location) -> bool:
        return obj.latitude is not None and obj.longitude is not None

    def save_model(self, request: HttpRequest, obj: Location, form: Any, change: bool) -> None:
        # Derived search placement must follow every change of position or confidentiality.
        apply_placement(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        location_index_refresh(location_ids=[form.instance.pk])


@admin.register(Taxonomy)
class TaxonomyAdmin(UrlsAssumeHttps, admin.ModelAdmin):
    list_display = ["name", "version"]
    readonly_fields = ["code"]


@admin.register(TaxonomyTerm)
class TaxonomyTermAdmin(UrlsAssumeHttps, admin.ModelAdmin):
    list_display = ["name", "term_code", "taxonomy", "parent"]
    list_filter = ["taxonomy"]
    search_fields = ["name", "term_code"]
    raw_id_fields = ["parent"]
    readonly_fields = ["code"]


@admin.register(Attribute)
class AttributeAdmin(UrlsAssumeHttps, admin.ModelAdmin):
    list_display = ["link_entity", "link_id", "taxonomy_term", "value"]
    list_filter = ["link_entity"]
    raw_id_fields = ["taxonomy_term"]
    readonly_fields = ["code"]
