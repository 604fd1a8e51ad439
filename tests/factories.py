"""factory_boy factories for the directory. Locations are placed through the real service."""

from __future__ import annotations

from datetime import time
from typing import Any, cast

import factory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from accounts.models import User
from directory.models import (
    Address,
    Category,
    Location,
    Membership,
    Organization,
    Phone,
    Schedule,
    ScheduleException,
    Service,
    ServiceAtLocation,
    ServicePopulation,
)
from directory.services import apply_placement, location_index_refresh

PASSWORD = "correct horse battery staple"


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = Organization.Kind.PROVIDER


class AgencyFactory(OrganizationFactory):
    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = Organization.Kind.AGENCY


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Location {n}")
    latitude = 32.7904
    longitude = -96.8044

    @classmethod
    def _create(cls, model_class: type[Location], *args: Any, **kwargs: Any) -> Location:
        location = model_class(**kwargs)
        apply_placement(location)
        location.full_clean()
        location.save()
        return location


class AddressFactory(DjangoModelFactory):
    class Meta:
        model = Address

    location = factory.SubFactory(LocationFactory)
    address_1 = factory.Sequence(lambda n: f"{100 + n} Canary Street")
    city = "Dallas"
    state_province = "TX"
    postal_code = "75201"


class PhoneFactory(DjangoModelFactory):
    class Meta:
        model = Phone

    location = factory.SubFactory(LocationFactory)
    number = factory.Sequence(lambda n: f"(214) 555-{n % 10000:04d}")
    intake = True


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    category = Category.EMERGENCY_SHELTER


class ServiceAtLocationFactory(DjangoModelFactory):
    class Meta:
        model = ServiceAtLocation

    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(LocationFactory)


class ServicePopulationFactory(DjangoModelFactory):
    class Meta:
        model = ServicePopulation

    service = factory.SubFactory(ServiceFactory)


class ScheduleFactory(DjangoModelFactory):
    class Meta:
        model = Schedule

    location = factory.SubFactory(LocationFactory)
    mon = tue = wed = thu = fri = True
    opens_at = time(9)
    closes_at = time(17)


class ScheduleExceptionFactory(DjangoModelFactory):
    class Meta:
        model = ScheduleException

    location = factory.SubFactory(LocationFactory)
    closed = True


def listed_location(**kwargs: Any) -> Location:
    """A searchable location: placed, with one active service of its organisation there."""
    category = kwargs.pop("category", Category.EMERGENCY_SHELTER)
    location = cast(Location, LocationFactory(**kwargs))
    service = ServiceFactory(organization=location.organization, category=category)
    ServiceAtLocationFactory(service=service, location=location)
    return reindex(location)


def reindex(location: Location) -> Location:
    """Bring a location's search index up to date after a test wrote to its rows directly."""
    location_index_refresh(location_ids=[location.pk])
    location.refresh_from_db()
    return location


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.CASEWORKER


def totp_device(user: User) -> TOTPDevice:
    """The person's confirmed authenticator (one is made if they have none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


def current_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def shelter_with_beds(organization: Any, *, total: int = 3, occupied: int = 0,
                      population: str = "women", **location: Any) -> Any:  # fmt: skip
    """A listed shelter location of ``organization`` counting beds for one population."""
    from directory.services import capacity_create

    place = listed_location(organization=organization, **location)
    service = place.at_locations.get().service
    ServicePopulation.objects.create(service=service, population=population)
    return capacity_create(
        location=place, population=population, total=total, occupied=occupied, service=service
    )
