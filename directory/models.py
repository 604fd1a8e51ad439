"""The directory, aligned with Open Referral HSDS 3.1, plus Haven's victim-services profile.

Every HSDS object keeps its HSDS id as ``code`` (a UUID, the only identifier that appears in
URLs and exports); the integer primary key stays internal. Fields HSDS lacks (categories,
populations, requirements, intake, the confidential flag) form Haven's profile, documented
in ``docs/hsds-profile.md``.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.languages import language_name


class Category(models.TextChoices):
    EMERGENCY_SHELTER = "emergency_shelter", _("Emergency shelter")
    TRANSITIONAL_HOUSING = "transitional_housing", _("Transitional housing")
    SAFE_HOME = "safe_home", _("Safe home")
    COUNSELLING = "counselling", _("Counselling")
    LEGAL_AID = "legal_aid", _("Legal aid")
    IMMIGRATION_LEGAL = "immigration_legal", _("Immigration legal help")
    MEDICAL = "medical", _("Medical care")
    SANE = "sane", _("Sexual assault forensic exam (SANE)")
    HOTLINE = "hotline", _("Hotline")
    CASE_MANAGEMENT = "case_management", _("Case management")
    INTERPRETATION = "interpretation", _("Interpretation")
    TRANSPORT = "transport", _("Transport")
    # Appended (the search index numbers choices in order): imported services whose
    # taxonomy terms name none of the above.
    OTHER = "other", _("Other help")


class Population(models.TextChoices):
    # HUD household types
    ADULTS_ONLY = "adults_only", _("Adults only")
    ADULTS_WITH_CHILDREN = "adults_with_children", _("Adults with children")
    CHILDREN_ONLY = "children_only", _("Children and youth on their own")
    # Who is served
    WOMEN = "women", _("Women")
    MEN = "men", _("Men (male survivors)")
    TRANS_INCLUSIVE = "trans_inclusive", _("Trans-inclusive")
    LGBTQ_AFFIRMING = "lgbtq_affirming", _("LGBTQ+ affirming")
    MINORS = "minors", _("Minors, including commercially sexually exploited children")
    SEX_TRAFFICKING = "sex_trafficking", _("Survivors of sex trafficking")
    LABOR_TRAFFICKING = "labor_trafficking", _("Survivors of labour trafficking")
    DOMESTIC_VIOLENCE = "domestic_violence", _("Survivors of domestic violence")
    SEXUAL_ASSAULT = "sexual_assault", _("Survivors of sexual assault")


class AccessibilityFeature(models.TextChoices):
    WHEELCHAIR = "wheelchair", _("Wheelchair accessible (step-free entrance)")
    ACCESSIBLE_RESTROOM = "accessible_restroom", _("Accessible restroom")
    ACCESSIBLE_PARKING = "accessible_parking", _("Accessible parking")
    ELEVATOR = "elevator", _("Elevator")
    HEARING = "hearing", _("Deaf and hard of hearing access (ASL, TTY, relay)")
    VISION = "vision", _("Blind and low vision access (braille, large print)")
    OTHER = "other", _("Other accessibility feature")


@functools.cache
def _choice_order(choices: type[models.TextChoices]) -> dict[str, int]:
    return {value: index for index, value in enumerate(choices.values)}


def choice_bits(choices: type[models.TextChoices], values: Iterable[str]) -> int:
    """A set of choices as an integer bit set (bit n = the n-th choice as declared).

    Used by the search index; new choices must be appended, never inserted or reordered.
    """
    order = _choice_order(choices)
    bits = 0
    for value in values:
        bits |= 1 << order[value]
    return bits


def partial_fk_index(model: str, field: str) -> models.Index:
    """An index on a nullable foreign key that leaves out the NULLs.

    Rows hang off one of several owners (a phone belongs to a location *or* a service), so
    each key is mostly NULL; indexing only the set values keeps the index small and stops
    SQLite's planner, after ANALYZE, from judging the index useless and scanning the table.
    """
    return models.Index(
        fields=[field], name=f"{model}_{field}_set", condition=Q(**{f"{field}__isnull": False})
    )


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Organization(Timestamped):
    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Service provider")
        AGENCY = "agency", _("Referring agency")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PROVIDER)
    name = models.CharField(max_length=255)
    alternate_name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    intake_email = models.EmailField(
        blank=True, help_text=_("Where new referrals are announced (no details are sent).")
    )
    on_call_email = models.EmailField(
        blank=True, help_text=_("Who is told when an urgent referral waits too long.")
    )
    website = models.URLField(blank=True)
    year_incorporated = models.PositiveSmallIntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=255, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Membership(Timestamped):
    """A person's place in an organisation, with one role.

    Officers belong to referring agencies, caseworkers to service providers; either kind of
    organisation has admins. Deactivation keeps the row (the audit log names it) but every
    access check ignores it at once.
    """

    class Role(models.TextChoices):
        OFFICER = "officer", _("Officer")
        CASEWORKER = "caseworker", _("Caseworker")
        ORG_ADMIN = "org_admin", _("Organisation admin")

    ROLES_BY_KIND = {
        Organization.Kind.AGENCY: (Role.OFFICER, Role.ORG_ADMIN),
        Organization.Kind.PROVIDER: (Role.CASEWORKER, Role.ORG_ADMIN),
    }

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique"),
            models.CheckConstraint(
                name="membership_deactivated_when_inactive",
                condition=Q(is_active=True, deactivated_at__isnull=True)
                | Q(is_active=False, deactivated_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organization} ({self.get_role_display()})"

    def clean(self) -> None:
        allowed = self.ROLES_BY_KIND.get(Organization.Kind(self.organization.kind), ())
        if self.role not in allowed:
            raise ValidationError(
                {"role": _("This role does not exist in this kind of organisation.")}
            )

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ORG_ADMIN


class Service(Timestamped):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        DEFUNCT = "defunct", _("Defunct")
        TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="services"
    )
    name = models.CharField(max_length=255)
    alternate_name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.ACTIVE)
    interpretation_services = models.CharField(max_length=500, blank=True)
    application_process = models.TextField(blank=True)
    fees_description = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    alert = models.CharField(max_length=500, blank=True)
    assured_date = models.DateField(
        null=True, blank=True, help_text=_("When this listing was last checked with the provider.")
    )
    assurer_email = models.EmailField(blank=True)

    # Victim-services profile
    category = models.CharField(max_length=32, choices=Category.choices, db_index=True)
    accompanying_boys_max_age = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Oldest accompanying boy the service can take; empty means no limit."),
    )
    sobriety_required = models.BooleanField(default=False)
    id_required = models.BooleanField(_("ID required"), default=False)
    immigration_status_required = models.BooleanField(default=False)
    max_stay_days = models.PositiveIntegerField(null=True, blank=True)
    pets_accepted = models.BooleanField(
        default=False, help_text=_("Service animals are always welcome; this is about pets.")
    )
    accepts_police_referrals = models.BooleanField(default=False)
    intake_24_7 = models.BooleanField(_("24/7 intake"), default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="service_age_range_ordered",
                condition=Q(minimum_age__isnull=True)
                | Q(maximum_age__isnull=True)
                | Q(minimum_age__lte=models.F("maximum_age")),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ServicePopulation(models.Model):
    """One population a service serves (a service usually serves several)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="populations")
    population = models.CharField(max_length=32, choices=Population.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "population"], name="service_population_unique"
            ),
        ]
        indexes = [models.Index(fields=["population", "service"])]

    def __str__(self) -> str:
        return self.get_population_display()


class Location(Timestamped):
    class Type(models.TextChoices):
        PHYSICAL = "physical", _("Physical")
        POSTAL = "postal", _("Postal")
        VIRTUAL = "virtual", _("Virtual")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="locations"
    )
    location_type = models.CharField(max_length=16, choices=Type.choices, default=Type.PHYSICAL)
    name = models.CharField(max_length=255)
    alternate_name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(blank=True)
    url = models.URLField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    confidential = models.BooleanField(
        default=False,
        help_text=_(
            "Street address and exact position are shown only to this organisation's members."
        ),
    )
    time_zone = models.CharField(max_length=64, default="America/Chicago")

    # The search index, kept on the row so one index scan answers a search. Where search
    # places this location (the exact point, or the centre of its coarse grid cell when
    # confidential) with its unit vector for chord-distance ranking, written by
    # directory.services.location_place; and what its active services offer, as bit sets over
    # the choices above, written by directory.services.location_index_refresh.
    search_latitude = models.FloatField(null=True, editable=False)
    search_longitude = models.FloatField(null=True, editable=False)
    ux = models.FloatField(null=True, editable=False)
    uy = models.FloatField(null=True, editable=False)
    uz = models.FloatField(null=True, editable=False)
    search_listed = models.BooleanField(default=False, editable=False)
    search_categories = models.IntegerField(default=0, editable=False)
    search_populations = models.IntegerField(default=0, editable=False)
    search_accessibility = models.IntegerField(default=0, editable=False)
    search_languages = models.CharField(max_length=255, blank=True, editable=False)
    search_police = models.BooleanField(default=False, editable=False)
    search_always_open = models.BooleanField(default=False, editable=False)
    search_closures = models.BooleanField(default=False, editable=False)
    search_offers = models.TextField(blank=True, editable=False)
    search_has_beds = models.BooleanField(default=False, editable=False)
    # Populations with a bed not occupied in a shelter taking referrals (holds aside), and the
    # newest count: a cheap first sieve for "a bed free now", which the capacities then decide.
    search_beds_open = models.IntegerField(default=0, editable=False)
    search_beds_counted_at = models.DateTimeField(null=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Covers the geographic test and every coded filter, so the database can count
            # and rank candidates without visiting the table (an index-only scan; PostgreSQL
            # also needs the key included, SQLite keeps it in every index anyway).
            models.Index(
                fields=[
                    "search_latitude", "search_longitude", "ux", "uy", "uz", "search_listed",
                    "confidential", "search_categories", "search_populations",
                    "search_accessibility", "search_police", "search_always_open",
                    "search_closures", "search_has_beds", "search_beds_open",
                    "search_beds_counted_at", "time_zone", "search_languages",
                ],
                include=["id"],
                name="location_search",
            ),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                name="location_coordinates_paired",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:location", kwargs={"code": self.code})


class LocationCard(models.Model):
    """A location's search card: everything a result or listing shows, as one JSON document.

    Rebuilt with the location's search index (directory.services.location_index_refresh) and
    kept apart from the location row so the rows search scans stay small. A card never holds
    a confidential location's street address or position.
    """

    location = models.OneToOneField(
        Location, primary_key=True, on_delete=models.CASCADE, related_name="card"
    )
    body = models.JSONField()

    def __str__(self) -> str:
        return str(self.body.get("name", self.location_id))


class ServiceAtLocation(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="at_locations")
    description = models.TextField(blank=True)

    class Meta:
        verbose_name = _("service at location")
        verbose_name_plural = _("services at locations")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "service"], name="service_at_location_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} @ {self.location}"


class Address(models.Model):
    class Type(models.TextChoices):
        PHYSICAL = "physical", _("Physical")
        POSTAL = "postal", _("Postal")
        VIRTUAL = "virtual", _("Virtual")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=255, blank=True)
    address_1 = models.CharField(max_length=255)
    address_2 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=128)
    region = models.CharField(max_length=128, blank=True)
    state_province = models.CharField(max_length=64)
    postal_code = models.CharField(max_length=16)
    country = models.CharField(max_length=2, default="US")
    address_type = models.CharField(max_length=16, choices=Type.choices, default=Type.PHYSICAL)

    class Meta:
        verbose_name_plural = _("addresses")

    def __str__(self) -> str:
        return f"{self.address_1}, {self.city}"


class Phone(models.Model):
    class Type(models.TextChoices):
        VOICE = "voice", _("Voice")
        TEXT = "text", _("Text")
        CELL = "cell", _("Cell")
        FAX = "fax", _("Fax")
        VIDEO = "video", _("Video")
        PAGER = "pager", _("Pager")
        TEXTPHONE = "textphone", _("Textphone (TTY)")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="phones",
        db_index=False,
    )
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="phones",
        db_index=False,
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="phones",
        db_index=False,
    )
    number = models.CharField(max_length=32)
    extension = models.CharField(max_length=16, blank=True)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.VOICE)
    description = models.CharField(max_length=255, blank=True)
    intake = models.BooleanField(
        default=False, help_text=_("The number to call to ask for a place or an appointment.")
    )

    class Meta:
        ordering = ["-intake", "number"]
        indexes = [
            partial_fk_index("phone", "location"),
            partial_fk_index("phone", "service"),
            partial_fk_index("phone", "organization"),
        ]
        constraints = [
            models.CheckConstraint(
                name="phone_has_owner",
                condition=Q(location__isnull=False)
                | Q(service__isnull=False)
                | Q(organization__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def tel_uri(self) -> str:
        digits = "".join(c for c in self.number if c.isdigit() or c == "+")
        return f"tel:{digits}" + (f",{self.extension}" if self.extension else "")


class Language(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="languages",
        db_index=False,
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="languages",
        db_index=False,
    )
    name = models.CharField(max_length=64, blank=True)
    iso_code = models.CharField(_("ISO 639 code"), max_length=8, db_index=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            partial_fk_index("language", "service"),
            partial_fk_index("language", "location"),
        ]
        constraints = [
            models.CheckConstraint(
                name="language_has_owner",
                condition=Q(service__isnull=False) | Q(location__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name or language_name(self.iso_code)


class Accessibility(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="accessibility")
    feature = models.CharField(max_length=32, choices=AccessibilityFeature.choices)
    description = models.CharField(max_length=500, blank=True)
    details = models.TextField(blank=True)
    url = models.URLField(blank=True)

    class Meta:
        verbose_name_plural = _("accessibility")
        indexes = [models.Index(fields=["feature", "location"])]

    def __str__(self) -> str:
        return self.get_feature_display()


WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": _("Mon"), "tue": _("Tue"), "wed": _("Wed"), "thu": _("Thu"), "fri": _("Fri"),
    "sat": _("Sat"), "sun": _("Sun"),
}  # fmt: skip


class Schedule(models.Model):
    """Weekly opening hours (HSDS ``schedule`` with ``freq=WEEKLY``).

    ``opens_at``/``closes_at`` empty means open all day on the chosen days (both empty on every
    day is 24/7). ``closes_at`` earlier than ``opens_at`` is a span past midnight: a Friday
    20:00–02:00 row is open until 02:00 on Saturday. Evaluated in the location's time zone.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedules",
        db_index=False,
    )
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedules",
        db_index=False,
    )
    mon = models.BooleanField(_("Monday"), default=False)
    tue = models.BooleanField(_("Tuesday"), default=False)
    wed = models.BooleanField(_("Wednesday"), default=False)
    thu = models.BooleanField(_("Thursday"), default=False)
    fri = models.BooleanField(_("Friday"), default=False)
    sat = models.BooleanField(_("Saturday"), default=False)
    sun = models.BooleanField(_("Sunday"), default=False)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            partial_fk_index("schedule", "location"),
            partial_fk_index("schedule", "service"),
        ]
        constraints = [
            models.CheckConstraint(
                name="schedule_has_owner",
                condition=Q(location__isnull=False) | Q(service__isnull=False),
            ),
            models.CheckConstraint(
                name="schedule_has_a_day",
                condition=Q(mon=True)
                | Q(tue=True)
                | Q(wed=True)
                | Q(thu=True)
                | Q(fri=True)
                | Q(sat=True)
                | Q(sun=True),
            ),
            models.CheckConstraint(
                name="schedule_hours_paired",
                condition=Q(opens_at__isnull=True, closes_at__isnull=True)
                | (
                    Q(opens_at__isnull=False, closes_at__isnull=False)
                    & ~Q(opens_at=models.F("closes_at"))
                ),
            ),
            models.CheckConstraint(
                name="schedule_validity_ordered",
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=models.F("valid_to")),
            ),
        ]

    def __str__(self) -> str:
        days = ", ".join(str(WEEKDAY_LABELS[day]) for day in self.weekdays)
        if self.opens_at is None:
            return f"{days}: {_('all day')}"
        return f"{days}: {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    @property
    def weekdays(self) -> list[str]:
        return [f for f in WEEKDAY_FIELDS if getattr(self, f)]

    @property
    def overnight(self) -> bool:
        return (
            self.opens_at is not None
            and self.closes_at is not None
            and (self.closes_at < self.opens_at)
        )


class ScheduleException(models.Model):
    """A date range that overrides weekly hours: a holiday closure or special hours."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="schedule_exceptions"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    closed = models.BooleanField(default=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                name="schedule_exception_dates_ordered",
                condition=Q(start_date__lte=models.F("end_date")),
            ),
            models.CheckConstraint(
                name="schedule_exception_hours",
                condition=Q(closed=True, opens_at__isnull=True, closes_at__isnull=True)
                | Q(closed=False, opens_at__isnull=True, closes_at__isnull=True)
                | Q(
                    closed=False,
                    opens_at__isnull=False,
                    closes_at__isnull=False,
                    opens_at__lt=models.F("closes_at"),
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date}"


class Taxonomy(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    uri = models.URLField(blank=True)
    version = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name_plural = _("taxonomies")

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    taxonomy = models.ForeignKey(
        Taxonomy, null=True, blank=True, on_delete=models.CASCADE, related_name="terms"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    term_code = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    term_uri = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["taxonomy", "term_code"],
                condition=~Q(term_code=""),
                name="taxonomy_term_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Attribute(models.Model):
    """HSDS ``attribute``: links any directory object to a taxonomy term."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    link_id = models.UUIDField(db_index=True)
    link_type = models.CharField(max_length=64, blank=True)
    link_entity = models.CharField(max_length=64)
    taxonomy_term = models.ForeignKey(
        TaxonomyTerm, on_delete=models.CASCADE, related_name="attributes"
    )
    value = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.link_entity}:{self.taxonomy_term}"


class Capacity(Timestamped):
    """Beds for one population at one location (HSDS ``service_capacity`` with unit "bed").

    The shelter sets ``total`` and ``occupied``; ``held`` counts the active holds and moves
    only with them (directory.services). Free beds = total − occupied − held, never stored on
    its own, and the database refuses any row where that would be negative.
    """

    class Status(models.TextChoices):
        ACCEPTING = "accepting", _("Accepting referrals")
        WAITLIST = "waitlist", _("Waitlist")
        NOT_ACCEPTING = "not_accepting", _("Not accepting referrals")

    class Source(models.TextChoices):
        WEB = "web", _("Web page")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="capacities")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="capacities"
    )
    population = models.CharField(max_length=32, choices=Population.choices)
    total = models.PositiveIntegerField(default=0)
    occupied = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACCEPTING)
    counted_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the shelter last confirmed these numbers.")
    )

    class Meta:
        verbose_name_plural = _("capacities")
        ordering = ["location", "population"]
        indexes = [
            # Answers "a bed free now" from the index alone for shelters taking referrals.
            models.Index(
                fields=["location", "population", "counted_at", "total", "occupied", "held"],
                condition=Q(status="accepting"),
                name="capacity_accepting",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["location", "population"], name="capacity_unique"),
            models.CheckConstraint(
                name="capacity_occupied_within_total",
                condition=Q(occupied__lte=models.F("total")),
            ),
            models.CheckConstraint(
                name="capacity_available_not_negative",
                condition=Q(total__gte=models.F("occupied") + models.F("held")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location} — {self.get_population_display()}"

    @property
    def available(self) -> int:
        return self.total - self.occupied - self.held


class CapacitySnapshot(models.Model):
    """Every update of a capacity, appended: who, when, how, and the numbers after it."""

    capacity = models.ForeignKey(Capacity, on_delete=models.CASCADE, related_name="snapshots")
    total = models.PositiveIntegerField()
    occupied = models.PositiveIntegerField()
    held = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Capacity.Status.choices)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=Capacity.Source.choices)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["capacity", "-recorded_at"], name="snapshot_by_capacity")]

    def __str__(self) -> str:
        return f"{self.capacity_id}: {self.occupied}/{self.total} at {self.recorded_at}"


class Hold(models.Model):
    """A bed kept for someone an officer is helping, for a short while. No survivor data.

    Active until it expires (by time alone), is cancelled, or is confirmed on arrival — when
    the bed moves into ``occupied``.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Held")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        CONFIRMED = "confirmed", _("Confirmed by the shelter")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    capacity = models.ForeignKey(Capacity, on_delete=models.PROTECT, related_name="holds")
    agency = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="holds")
    placed_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["capacity", "expires_at"],
                condition=Q(status="active"),
                name="hold_active_by_capacity",
            ),
            models.Index(
                fields=["expires_at"], condition=Q(status="active"), name="hold_active_by_expiry"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="hold_expires_after_it_starts",
                condition=Q(expires_at__gt=models.F("created_at")),
            ),
            models.CheckConstraint(
                name="hold_ended_when_not_active",
                condition=Q(status="active", ended_at__isnull=True)
                | (~Q(status="active") & Q(ended_at__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return str(self.code)

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.ACTIVE and self.expires_at > at


class Metadata(models.Model):
    """HSDS ``metadata``: where a record came from and how it changed (imports write it)."""

    resource_id = models.UUIDField(db_index=True)
    resource_type = models.CharField(max_length=64)
    last_action_date = models.DateTimeField()
    last_action_type = models.CharField(max_length=16)
    field_name = models.CharField(max_length=64, blank=True)
    previous_value = models.TextField(blank=True)
    replacement_value = models.TextField(blank=True)
    updated_by = models.CharField(max_length=255)

    class Meta:
        ordering = ["last_action_date", "pk"]
        verbose_name_plural = _("metadata")

    def __str__(self) -> str:
        return f"{self.last_action_type} {self.resource_type} {self.resource_id}"
