"""The demo directory served by ``make run``: synthetic providers around Dallas, San Diego,
Orlando and Miami. Every name, address and phone number is invented (555-01xx numbers are
reserved for fiction); identifiers are derived from names so loading twice changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any, TypeVar

from django.db import models, transaction

from directory.models import (
    Accessibility,
    AccessibilityFeature,
    Address,
    Capacity,
    Category,
    Language,
    Location,
    Organization,
    Phone,
    Population,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServicePopulation,
)
from directory.services import apply_placement, capacity_create, location_index_refresh
from geo.distance import Point

DEMO_NAMESPACE = uuid.UUID("6f1d3c2a-6a43-4c1e-9a55-3f0f4a2f8e10")
VERIFIED = date(2026, 11, 2)

SHELTER_CATEGORIES = {
    Category.EMERGENCY_SHELTER, Category.TRANSITIONAL_HOUSING, Category.SAFE_HOME,
}  # fmt: skip
P = Population
C = Category
A = AccessibilityFeature

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

Hours = list[tuple[tuple[str, ...], time | None, time | None]]
ALWAYS: Hours = [(ALL_DAYS, None, None)]
OFFICE: Hours = [(WEEKDAYS, time(9), time(17))]
OFFICE_LATE: Hours = [
    (("mon", "tue", "wed", "thu"), time(9), time(19)),
    (("fri",), time(9), time(17)),
    (("sat",), time(10), time(14)),
]
CLINIC: Hours = [(WEEKDAYS, time(8), time(20)), (("fri", "sat"), time(20), time(4))]
HOLIDAYS = [(date(2026, 11, 26), date(2026, 11, 27)), (date(2026, 12, 24), date(2026, 12, 25))]


@dataclass
class DemoService:
    name: str
    category: str
    populations: tuple[str, ...]
    description: str = ""
    languages: tuple[str, ...] = ("en",)
    police: bool = False
    intake_24_7: bool = False
    pets: bool = False
    min_age: int | None = None
    max_age: int | None = None
    boys_max_age: int | None = None
    max_stay_days: int | None = None
    id_required: bool = False


@dataclass
class DemoBeds:
    population: str
    total: int
    occupied: int


@dataclass
class DemoLocation:
    name: str
    point: tuple[float, float]
    street: str
    city: str
    state: str
    postal_code: str
    phones: list[tuple[str, bool, str]]
    services: list[DemoService]
    hours: Hours = field(default_factory=lambda: OFFICE)
    confidential: bool = False
    accessibility: tuple[str, ...] = ()
    closes_for_holidays: bool = False
    description: str = ""
    beds: list[DemoBeds] = field(default_factory=list)


@dataclass
class DemoOrganization:
    name: str
    kind: str
    description: str
    locations: list[DemoLocation] = field(default_factory=list)
    email: str = ""
    website: str = ""


PROVIDER = Organization.Kind.PROVIDER
AGENCY = Organization.Kind.AGENCY

DEMO: list[DemoOrganization] = [
    # --- Dallas, TX --------------------------------------------------------------------------
    DemoOrganization(
        "Trinity Safe Harbor", PROVIDER,
        "Emergency shelter and advocacy for survivors of domestic violence and their children.",
        email="intake@trinity-safe-harbor.example", website="https://trinity-safe-harbor.example",
        locations=[
            DemoLocation(
                "Trinity Safe Harbor Shelter", (32.7961, -96.7810), "2200 Ross Avenue",
                "Dallas", "TX", "75201",
                phones=[("(214) 555-0101", True, "24/7 intake line")],
                hours=ALWAYS, confidential=True,
                accessibility=(A.WHEELCHAIR, A.ACCESSIBLE_RESTROOM),
                beds=[DemoBeds(P.WOMEN, 12, 9), DemoBeds(P.ADULTS_WITH_CHILDREN, 6, 6)],
                services=[
                    DemoService(
                        "Emergency shelter for families", C.EMERGENCY_SHELTER,
                        (P.ADULTS_WITH_CHILDREN, P.WOMEN, P.DOMESTIC_VIOLENCE, P.TRANS_INCLUSIVE),
                        "Safe, confidential rooms for adults with children, up to 45 days.",
                        languages=("en", "es"), police=True, intake_24_7=True, pets=True,
                        boys_max_age=17, max_stay_days=45,
                    ),
                    DemoService(
                        "Safety planning and advocacy", C.CASE_MANAGEMENT,
                        (P.DOMESTIC_VIOLENCE, P.ADULTS_ONLY, P.ADULTS_WITH_CHILDREN),
                        languages=("en", "es"),
                    ),
                ],
            ),
            DemoLocation(
                "Trinity Safe Harbor Outreach Office", (32.7825, -96.7990), "1500 Marilla Street",
                "Dallas", "TX", "75201",
                phones=[("(214) 555-0102", False, "Office")],
                hours=OFFICE_LATE, accessibility=(A.WHEELCHAIR, A.ELEVATOR),
                closes_for_holidays=True,
                services=[
                    DemoService(
                        "Counselling for survivors", C.COUNSELLING,
                        (P.DOMESTIC_VIOLENCE, P.SEXUAL_ASSAULT, P.ADULTS_ONLY, P.LGBTQ_AFFIRMING),
                        "Free one-to-one and group counselling.", languages=("en", "es", "vi"),
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "North Texas Freedom Network", PROVIDER,
        "Shelter and case management for survivors of sex and labour trafficking.",
        email="intake@ntx-freedom.example",
        locations=[
            DemoLocation(
                "Freedom House Dallas", (32.8251, -96.8412), "5100 Harry Hines Boulevard",
                "Dallas", "TX", "75235",
                phones=[("(214) 555-0111", True, "24/7 intake line")],
                hours=ALWAYS, confidential=True, accessibility=(A.WHEELCHAIR,),
                beds=[DemoBeds(P.WOMEN, 8, 5), DemoBeds(P.MEN, 4, 4)],
                services=[
                    DemoService(
                        "Safe home for trafficking survivors", C.SAFE_HOME,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.WOMEN, P.TRANS_INCLUSIVE,
                         P.ADULTS_ONLY),
                        "Long-term safe home with case management.", languages=("en", "es", "zh"),
                        police=True, intake_24_7=True, max_stay_days=365,
                    ),
                    DemoService(
                        "Trafficking case management", C.CASE_MANAGEMENT,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.ADULTS_ONLY, P.MEN, P.WOMEN),
                        languages=("en", "es", "zh"), police=True,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Lone Star Immigrant Legal Aid", PROVIDER,
        "Free immigration legal help for survivors: T and U visas, VAWA self-petitions.",
        locations=[
            DemoLocation(
                "Lone Star Legal Aid — Downtown", (32.7767, -96.7970), "1400 Main Street",
                "Dallas", "TX", "75202",
                phones=[("(214) 555-0121", True, "Intake, weekdays")],
                hours=OFFICE, accessibility=(A.WHEELCHAIR, A.ELEVATOR, A.HEARING),
                closes_for_holidays=True,
                services=[
                    DemoService(
                        "Immigration legal help for survivors", C.IMMIGRATION_LEGAL,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.DOMESTIC_VIOLENCE,
                         P.ADULTS_ONLY, P.ADULTS_WITH_CHILDREN),
                        "T visas, U visas, VAWA self-petitions and work permits.",
                        languages=("en", "es", "ar", "vi"), police=True,
                    ),
                    DemoService(
                        "Protective order help", C.LEGAL_AID,
                        (P.DOMESTIC_VIOLENCE, P.ADULTS_ONLY), languages=("en", "es"),
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Parkland Community Forensic Nursing", PROVIDER,
        "Sexual assault forensic exams by specially trained nurses, free of charge.",
        locations=[
            DemoLocation(
                "Forensic Nursing Clinic", (32.8120, -96.8405), "5300 Medical Center Drive",
                "Dallas", "TX", "75235",
                phones=[("(214) 555-0131", True, "Ask for the forensic nurse on call")],
                hours=CLINIC, accessibility=(A.WHEELCHAIR, A.ACCESSIBLE_PARKING, A.ELEVATOR),
                services=[
                    DemoService(
                        "Sexual assault forensic exam", C.SANE,
                        (P.SEXUAL_ASSAULT, P.ADULTS_ONLY, P.CHILDREN_ONLY, P.MINORS),
                        "Exam, evidence collection and medication. No police report needed.",
                        languages=("en", "es"), police=True,
                    ),
                    DemoService(
                        "Medical care after violence", C.MEDICAL,
                        (P.SEXUAL_ASSAULT, P.DOMESTIC_VIOLENCE, P.ADULTS_ONLY),
                        languages=("en", "es"),
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Oak Cliff Youth Refuge", PROVIDER,
        "Emergency shelter for young people on their own, including exploited youth.",
        locations=[
            DemoLocation(
                "Oak Cliff Youth Refuge", (32.7480, -96.8302), "900 West Davis Street",
                "Dallas", "TX", "75208",
                phones=[
                    ("(214) 555-0141", True, "24/7 youth line"),
                    ("(214) 555-0142", False, "Text"),
                ],
                hours=ALWAYS, confidential=True,
                beds=[DemoBeds(P.CHILDREN_ONLY, 10, 7)],
                services=[
                    DemoService(
                        "Youth emergency shelter", C.EMERGENCY_SHELTER,
                        (P.CHILDREN_ONLY, P.MINORS, P.SEX_TRAFFICKING, P.LGBTQ_AFFIRMING),
                        "Beds for young people aged 12 to 17.", languages=("en", "es"),
                        police=True, intake_24_7=True, min_age=12, max_age=17, max_stay_days=21,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Dallas Area Crisis Line", PROVIDER,
        "A 24-hour hotline for anyone affected by violence.",
        locations=[
            DemoLocation(
                "Crisis Line Call Centre", (32.8593, -96.7702), "8300 Douglas Avenue",
                "Dallas", "TX", "75225",
                phones=[("(214) 555-0151", True, "Hotline, any time")],
                hours=ALWAYS, confidential=True,
                services=[
                    DemoService(
                        "24-hour crisis hotline", C.HOTLINE,
                        (P.DOMESTIC_VIOLENCE, P.SEXUAL_ASSAULT, P.SEX_TRAFFICKING,
                         P.LABOR_TRAFFICKING, P.ADULTS_ONLY, P.MINORS),
                        languages=("en", "es", "ase"), intake_24_7=True,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "North Texas Anti-Trafficking Task Force", AGENCY,
        "Demo referring agency: officers and investigators who refer survivors to services.",
    ),
    # --- San Diego, CA -----------------------------------------------------------------------
    DemoOrganization(
        "Harbor Light Women's Shelter", PROVIDER,
        "Emergency and transitional housing for women and their children.",
        locations=[
            DemoLocation(
                "Harbor Light Emergency Shelter", (32.7240, -117.1510), "1300 Sixth Avenue",
                "San Diego", "CA", "92101",
                phones=[("(619) 555-0161", True, "24/7 intake line")],
                hours=ALWAYS, confidential=True, accessibility=(A.WHEELCHAIR,),
                beds=[DemoBeds(P.WOMEN, 20, 17), DemoBeds(P.ADULTS_WITH_CHILDREN, 8, 6)],
                services=[
                    DemoService(
                        "Emergency shelter for women and children", C.EMERGENCY_SHELTER,
                        (P.WOMEN, P.ADULTS_WITH_CHILDREN, P.DOMESTIC_VIOLENCE, P.TRANS_INCLUSIVE),
                        languages=("en", "es", "tl"), police=True, intake_24_7=True,
                        boys_max_age=12, max_stay_days=60,
                    ),
                    DemoService(
                        "Transitional housing", C.TRANSITIONAL_HOUSING,
                        (P.WOMEN, P.ADULTS_WITH_CHILDREN, P.DOMESTIC_VIOLENCE),
                        languages=("en", "es"), max_stay_days=540,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Border Coast Anti-Trafficking Coalition", PROVIDER,
        "Case management, safe housing and legal help for trafficking survivors.",
        locations=[
            DemoLocation(
                "Coalition Service Centre", (32.7050, -117.1410), "2500 Logan Avenue",
                "San Diego", "CA", "92113",
                phones=[("(619) 555-0171", True, "Intake")],
                hours=OFFICE_LATE, accessibility=(A.WHEELCHAIR, A.ACCESSIBLE_RESTROOM),
                closes_for_holidays=True,
                services=[
                    DemoService(
                        "Trafficking survivor case management", C.CASE_MANAGEMENT,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.MEN, P.WOMEN, P.ADULTS_ONLY,
                         P.LGBTQ_AFFIRMING),
                        languages=("en", "es", "tl", "zh"), police=True,
                    ),
                    DemoService(
                        "Immigration legal services", C.IMMIGRATION_LEGAL,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.ADULTS_ONLY),
                        languages=("en", "es"), police=True,
                    ),
                    DemoService(
                        "Interpreters on request", C.INTERPRETATION,
                        (P.ADULTS_ONLY, P.ADULTS_WITH_CHILDREN),
                        languages=("es", "tl", "zh", "vi", "ar"),
                    ),
                ],
            ),
            DemoLocation(
                "Coalition Men's Safe Home", (32.7620, -117.0980), "4100 University Avenue",
                "San Diego", "CA", "92105",
                phones=[("(619) 555-0172", True, "24/7 intake line")],
                hours=ALWAYS, confidential=True,
                beds=[DemoBeds(P.MEN, 6, 5)],
                services=[
                    DemoService(
                        "Safe home for men", C.SAFE_HOME,
                        (P.MEN, P.LABOR_TRAFFICKING, P.SEX_TRAFFICKING, P.ADULTS_ONLY),
                        "Housing for male survivors of trafficking.", languages=("en", "es"),
                        police=True, intake_24_7=True, max_stay_days=180,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Bayside Rainbow Counselling", PROVIDER,
        "Counselling for LGBTQ+ survivors of intimate partner and sexual violence.",
        locations=[
            DemoLocation(
                "Hillcrest Counselling Rooms", (32.7490, -117.1620), "3900 Fifth Avenue",
                "San Diego", "CA", "92103",
                phones=[("(619) 555-0181", False, "Appointments")],
                hours=OFFICE_LATE, accessibility=(A.WHEELCHAIR, A.HEARING),
                closes_for_holidays=True,
                services=[
                    DemoService(
                        "Counselling for LGBTQ+ survivors", C.COUNSELLING,
                        (P.LGBTQ_AFFIRMING, P.TRANS_INCLUSIVE, P.DOMESTIC_VIOLENCE,
                         P.SEXUAL_ASSAULT, P.ADULTS_ONLY),
                        languages=("en", "es"),
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "South Bay Family Justice Clinic", PROVIDER,
        "Legal aid, protective orders and forensic exams in one place.",
        locations=[
            DemoLocation(
                "Family Justice Clinic", (32.6400, -117.0840), "330 Third Avenue",
                "Chula Vista", "CA", "91910",
                phones=[("(619) 555-0191", True, "Intake")],
                hours=CLINIC, accessibility=(A.WHEELCHAIR, A.ACCESSIBLE_PARKING, A.VISION),
                services=[
                    DemoService(
                        "Protective orders and family law", C.LEGAL_AID,
                        (P.DOMESTIC_VIOLENCE, P.ADULTS_ONLY, P.ADULTS_WITH_CHILDREN),
                        languages=("en", "es"), police=True,
                    ),
                    DemoService(
                        "Forensic exam and medical care", C.SANE,
                        (P.SEXUAL_ASSAULT, P.ADULTS_ONLY, P.MINORS),
                        languages=("en", "es"), police=True,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "San Diego Regional Human Trafficking Unit", AGENCY,
        "Demo referring agency.",
    ),
    # --- Orlando and Miami, FL ---------------------------------------------------------------
    DemoOrganization(
        "Central Florida Harbor House", PROVIDER,
        "Shelter, counselling and advocacy for survivors of domestic abuse.",
        locations=[
            DemoLocation(
                "Harbor House Shelter", (28.5510, -81.3650), "600 East Colonial Drive",
                "Orlando", "FL", "32803",
                phones=[("(407) 555-0201", True, "24/7 intake line")],
                hours=ALWAYS, confidential=True, accessibility=(A.WHEELCHAIR,),
                beds=[DemoBeds(P.ADULTS_ONLY, 14, 10), DemoBeds(P.ADULTS_WITH_CHILDREN, 10, 10)],
                services=[
                    DemoService(
                        "Emergency shelter", C.EMERGENCY_SHELTER,
                        (P.WOMEN, P.MEN, P.ADULTS_ONLY, P.ADULTS_WITH_CHILDREN,
                         P.DOMESTIC_VIOLENCE, P.TRANS_INCLUSIVE),
                        languages=("en", "es", "ht", "pt"), police=True, intake_24_7=True,
                        pets=True, max_stay_days=42,
                    ),
                ],
            ),
            DemoLocation(
                "Harbor House Counselling Centre", (28.5390, -81.3790), "200 South Orange Avenue",
                "Orlando", "FL", "32801",
                phones=[("(407) 555-0202", False, "Office")],
                hours=OFFICE, accessibility=(A.WHEELCHAIR, A.ELEVATOR),
                closes_for_holidays=True,
                services=[
                    DemoService(
                        "Individual and group counselling", C.COUNSELLING,
                        (P.DOMESTIC_VIOLENCE, P.ADULTS_ONLY), languages=("en", "es", "ht"),
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Sunrise Rides", PROVIDER,
        "Free, discreet rides to shelter, court and medical appointments.",
        locations=[
            DemoLocation(
                "Sunrise Rides Dispatch", (28.5300, -81.4000), "1100 West Church Street",
                "Orlando", "FL", "32805",
                phones=[("(407) 555-0211", True, "Dispatch")],
                hours=[(ALL_DAYS, time(6), time(23))],
                services=[
                    DemoService(
                        "Safe transport", C.TRANSPORT,
                        (P.DOMESTIC_VIOLENCE, P.SEX_TRAFFICKING, P.ADULTS_ONLY,
                         P.ADULTS_WITH_CHILDREN),
                        languages=("en", "es"), police=True, pets=True,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Miami Bridges to Freedom", PROVIDER,
        "Safe housing and services for survivors of human trafficking in South Florida.",
        locations=[
            DemoLocation(
                "Bridges Safe Home", (25.8150, -80.2100), "2900 NW 7th Avenue",
                "Miami", "FL", "33127",
                phones=[("(305) 555-0221", True, "24/7 intake line")],
                hours=ALWAYS, confidential=True,
                beds=[DemoBeds(P.WOMEN, 9, 7), DemoBeds(P.MINORS, 4, 3)],
                services=[
                    DemoService(
                        "Safe home for trafficking survivors", C.SAFE_HOME,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.WOMEN, P.MINORS),
                        languages=("en", "es", "ht", "pt"), police=True, intake_24_7=True,
                        min_age=13, max_stay_days=270,
                    ),
                ],
            ),
            DemoLocation(
                "Bridges Drop-in Centre", (25.7870, -80.2060), "1600 NW 3rd Avenue",
                "Miami", "FL", "33136",
                phones=[("(305) 555-0222", True, "Intake")],
                hours=OFFICE_LATE, accessibility=(A.WHEELCHAIR, A.ACCESSIBLE_RESTROOM),
                closes_for_holidays=True,
                services=[
                    DemoService(
                        "Case management", C.CASE_MANAGEMENT,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.ADULTS_ONLY, P.MEN, P.WOMEN),
                        languages=("en", "es", "ht"), police=True,
                    ),
                    DemoService(
                        "Legal aid", C.LEGAL_AID,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.ADULTS_ONLY),
                        languages=("en", "es"),
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "Little Havana Health Collective", PROVIDER,
        "Primary care and forensic exams, with Spanish and Haitian Creole speakers.",
        locations=[
            DemoLocation(
                "Health Collective Clinic", (25.7700, -80.2200), "1200 SW 8th Street",
                "Miami", "FL", "33130",
                phones=[("(305) 555-0231", True, "Front desk")],
                hours=CLINIC, accessibility=(A.WHEELCHAIR, A.ACCESSIBLE_PARKING),
                services=[
                    DemoService(
                        "Medical care for survivors", C.MEDICAL,
                        (P.SEX_TRAFFICKING, P.LABOR_TRAFFICKING, P.DOMESTIC_VIOLENCE,
                         P.ADULTS_ONLY, P.ADULTS_WITH_CHILDREN),
                        languages=("es", "en", "ht"),
                    ),
                    DemoService(
                        "Forensic exams", C.SANE,
                        (P.SEXUAL_ASSAULT, P.ADULTS_ONLY, P.MINORS),
                        languages=("es", "en"), police=True,
                    ),
                ],
            ),
        ],
    ),
    DemoOrganization(
        "South Florida Human Trafficking Task Force", AGENCY,
        "Demo referring agency.",
    ),
]  # fmt: skip

M = TypeVar("M", bound=models.Model)


def demo_code(*parts: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(parts))


def _upsert(model: type[M], code: uuid.UUID, values: dict[str, Any]) -> tuple[M, bool]:
    """Create the row, or update only the fields that differ; returns (row, changed)."""
    row = model._default_manager.filter(code=code).first()
    if row is None:
        row = model(code=code, **values)
        if isinstance(row, Location):
            apply_placement(row)
        row.full_clean()
        row.save()
        return row, True
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        if isinstance(row, Location):
            apply_placement(row)
        row.full_clean()
        row.save()
    return row, bool(changed)


def _load_location(org: Organization, spec: DemoLocation) -> tuple[Location, int]:
    changes = 0
    key = (org.name, spec.name)
    location, changed = _upsert(
        Location,
        demo_code("location", *key),
        {
            "organization": org,
            "name": spec.name,
            "description": spec.description,
            "latitude": spec.point[0],
            "longitude": spec.point[1],
            "confidential": spec.confidential,
        },
    )
    changes += changed
    changes += _upsert(
        Address,
        demo_code("address", *key),
        {
            "location": location,
            "address_1": spec.street,
            "city": spec.city,
            "state_province": spec.state,
            "postal_code": spec.postal_code,
        },
    )[1]
    for number, intake, description in spec.phones:
        changes += _upsert(
            Phone,
            demo_code("phone", *key, number),
            {"location": location, "number": number, "intake": intake, "description": description},
        )[1]
    for feature in spec.accessibility:
        changes += _upsert(
            Accessibility,
            demo_code("accessibility", *key, feature),
            {"location": location, "feature": feature},
        )[1]
    for index, (days, opens, closes) in enumerate(spec.hours):
        values: dict[str, Any] = {d: d in days for d in ALL_DAYS}
        values.update({"location": location, "opens_at": opens, "closes_at": closes})
        changes += _upsert(Schedule, demo_code("schedule", *key, str(index)), values)[1]
    if spec.closes_for_holidays:
        for start, end in HOLIDAYS:
            changes += _upsert(
                ScheduleException,
                demo_code("closure", *key, start.isoformat()),
                {"location": location, "start_date": start, "end_date": end, "closed": True,
                 "description": "Holiday closure"},
            )[1]  # fmt: skip
    services = [_load_service(org, location, service_spec) for service_spec in spec.services]
    changes += sum(changed for _service, changed in services)
    shelter = next((s for s, _changed in services if s.category in SHELTER_CATEGORIES), None)
    for beds in spec.beds:
        # Counts belong to the shelter once created: a second load never resets them.
        if not Capacity.objects.filter(location=location, population=beds.population).exists():
            capacity_create(
                location=location, population=beds.population, total=beds.total,
                occupied=beds.occupied, service=shelter, source=Capacity.Source.IMPORT,
            )  # fmt: skip
            changes += 1
    return location, changes


def _load_service(org: Organization, location: Location, spec: DemoService) -> tuple[Service, int]:
    key = (org.name, location.name, spec.name)
    service, changed = _upsert(
        Service,
        demo_code("service", *key),
        {
            "organization": org,
            "name": spec.name,
            "description": spec.description,
            "category": spec.category,
            "accepts_police_referrals": spec.police,
            "intake_24_7": spec.intake_24_7,
            "pets_accepted": spec.pets,
            "minimum_age": spec.min_age,
            "maximum_age": spec.max_age,
            "accompanying_boys_max_age": spec.boys_max_age,
            "max_stay_days": spec.max_stay_days,
            "id_required": spec.id_required,
            "assured_date": VERIFIED,
        },
    )
    changes = int(changed)
    changes += _upsert(
        ServiceAtLocation,
        demo_code("service_at_location", *key),
        {"service": service, "location": location},
    )[1]
    for population in spec.populations:
        _row, created = ServicePopulation.objects.get_or_create(
            service=service, population=population
        )
        changes += created
    for iso in spec.languages:
        changes += _upsert(
            Language, demo_code("language", *key, iso), {"service": service, "iso_code": iso}
        )[1]
    return service, changes


@transaction.atomic
def demo_directory_load() -> int:
    """Load (or bring up to date) the demo directory; returns how many rows changed."""
    changes = 0
    location_ids = []
    for spec in DEMO:
        org, changed = _upsert(
            Organization,
            demo_code("organization", spec.name),
            {
                "name": spec.name,
                "kind": spec.kind,
                "description": spec.description,
                "email": spec.email,
                "website": spec.website,
            },
        )
        changes += changed
        for location_spec in spec.locations:
            location, location_changes = _load_location(org, location_spec)
            changes += location_changes
            location_ids.append(location.pk)
    changes += location_index_refresh(location_ids=location_ids)
    return changes


def demo_point(name: str) -> Point:
    """The exact point of a demo location, for tests."""
    for org in DEMO:
        for location in org.locations:
            if location.name == name:
                return Point(*location.point)
    raise KeyError(name)
