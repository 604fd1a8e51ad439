"""What a consent must name, what it may never be, and logs that cannot be rewritten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from consent import services
from consent.models import Acknowledgement, Consent, ConsentEvent, Disclosure
from directory.models import Organization
from tests.consent.conftest import grant, request_start

pytestmark = pytest.mark.django_db


def test_a_consent_without_an_expiry_is_refused(cast):
    consent_request, _ = request_start(cast.officer_a, cast.shelter_x)
    with pytest.raises(ValidationError) as error:
        services.consent_grant(
            request=consent_request, items=["name"], expires_at=None,
            acknowledgements=list(Acknowledgement.values), pin="482915", signature="A",
            language="en", method=Consent.Method.SURVIVOR_DEVICE,
        )  # fmt: skip
    assert error.value.message_dict == {"expires_at": ["Choose when this ends."]}
    assert not Consent.objects.exists()


def test_an_expiry_past_the_network_maximum_is_refused(cast, settings):
    settings.HAVEN_CONSENT_MAX_DAYS = 30
    with pytest.raises(ValidationError) as error:
        grant(cast.officer_a, cast.shelter_x, expires_at=timezone.now() + timedelta(days=31))
    assert error.value.message_dict == {"expires_at": ["It can last 30 days at most."]}
    grant(cast.officer_a, cast.shelter_x, expires_at=timezone.now() + timedelta(days=29))
    assert Consent.objects.count() == 1


def test_an_expiry_in_the_past_is_refused(cast):
    with pytest.raises(ValidationError):
        grant(cast.officer_a, cast.shelter_x, expires_at=timezone.now() - timedelta(seconds=1))


def test_a_consent_must_name_what_may_be_shared(cast):
    with pytest.raises(ValidationError) as error:
        grant(cast.officer_a, cast.shelter_x, items=())
    assert "items" in error.value.message_dict
    with pytest.raises(ValidationError):
        grant(cast.officer_a, cast.shelter_x, items=("everything",))
    assert not Consent.objects.exists()


def test_the_database_refuses_a_consent_naming_nothing(granted):
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.filter(pk=granted.consent.pk).update(items=[])


def test_the_database_refuses_an_expiry_before_the_start(granted):
    consent = granted.consent
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(expires_at=consent.valid_from)


def test_every_acknowledgement_must_be_accepted(cast):
    consent_request, _ = request_start(cast.officer_a, cast.shelter_x)
    with pytest.raises(ValidationError) as error:
        services.consent_grant(
            request=consent_request, items=["name"],
            expires_at=timezone.now() + timedelta(days=1),
            acknowledgements=["revocable"], pin="482915", signature="A", language="en",
            method=Consent.Method.SURVIVOR_DEVICE,
        )  # fmt: skip
    assert "acknowledgements" in error.value.message_dict


def test_a_consent_has_exactly_one_recipient():
    field = Consent._meta.get_field("recipient")
    assert isinstance(field, models.ForeignKey)
    assert not field.null
    assert field.related_model is Organization
    # Nothing else on a consent points at organisations in numbers.
    assert not [f for f in Consent._meta.get_fields() if f.many_to_many]


def test_a_consent_is_only_for_a_service_provider(cast):
    with pytest.raises(ValidationError):
        request_start(cast.officer_a, cast.agency_b)
    with pytest.raises(ValidationError):
        request_start(cast.caseworker_x, cast.shelter_y)  # shelters do not start requests


def test_verbal_consent_needs_the_network_to_allow_it_and_a_witness(cast, settings):
    settings.HAVEN_CONSENT_ALLOW_VERBAL = False
    with pytest.raises(ValidationError) as error:
        grant(cast.officer_a, cast.shelter_x, method=Consent.Method.VERBAL, witness=cast.officer_a)
    assert "method" in error.value.message_dict
    settings.HAVEN_CONSENT_ALLOW_VERBAL = True
    with pytest.raises(ValidationError):
        grant(cast.officer_a, cast.shelter_x, method=Consent.Method.VERBAL)
    with pytest.raises(ValidationError):  # a witness from another agency
        grant(cast.officer_a, cast.shelter_x, method=Consent.Method.VERBAL, witness=cast.officer_b)
    verbal = grant(
        cast.officer_a, cast.shelter_x, method=Consent.Method.VERBAL, witness=cast.officer_a
    )
    assert verbal.consent.method == "verbal"


def test_a_grant_records_everything_the_design_asks_for(granted, cast):
    consent = Consent.objects.get(pk=granted.consent.pk)
    assert consent.recipient == cast.shelter_x
    assert consent.requested_by == cast.officer_a
    assert consent.services == ["emergency_shelter"]
    assert consent.items == ["contact", "name"]
    assert consent.valid_from <= timezone.now() < consent.expires_at
    assert consent.method == "survivor_device"
    assert consent.notice_version == services.NOTICE_VERSION
    assert consent.language == "en"
    assert consent.interpreter_used is False
    assert sorted(consent.acknowledgements) == sorted(Acknowledgement.values)
    assert consent.status == "active"
    assert consent.receipt.reference  # pseudonymous: a random reference, no name
    assert [e.kind for e in consent.events.all()] == ["granted"]


def test_receipt_code_and_pin_are_kept_only_as_digests(granted):
    receipt = granted.consent.receipt
    code = services.normalise_code(granted.receipt_code)
    assert len(code) == services.RECEIPT_CODE_CHARS
    assert len(code) * 5 >= 80
    assert code not in receipt.code_digest
    assert receipt.pin_hash.startswith(("argon2", "pbkdf2", "md5"))  # a password hash
    assert "482915" not in receipt.pin_hash
    assert granted.receipt_code.count("-") == 3  # four groups of four, for typing


def test_the_signing_link_works_once(cast):
    consent_request, secret = request_start(cast.officer_a, cast.shelter_x)
    assert services.consent_request_open(secret=secret) == consent_request
    services.consent_grant(
        request=consent_request, items=["name"], expires_at=timezone.now() + timedelta(days=1),
        acknowledgements=list(Acknowledgement.values), pin="482915", signature="A",
        language="en", method=Consent.Method.SURVIVOR_DEVICE,
    )  # fmt: skip
    assert services.consent_request_open(secret=secret) is None
    with pytest.raises(ValidationError):
        services.consent_grant(
            request=consent_request, items=["name"],
            expires_at=timezone.now() + timedelta(days=1),
            acknowledgements=list(Acknowledgement.values), pin="482915", signature="A",
            language="en", method=Consent.Method.SURVIVOR_DEVICE,
        )  # fmt: skip
    assert Consent.objects.count() == 1


def test_the_signing_link_expires_after_its_minutes(cast, settings, time_machine):
    settings.HAVEN_CONSENT_LINK_MINUTES = 15
    time_machine.move_to(timezone.now(), tick=False)
    _request, secret = request_start(cast.officer_a, cast.shelter_x)
    time_machine.shift(timedelta(minutes=14, seconds=59))
    assert services.consent_request_open(secret=secret) is not None
    time_machine.shift(timedelta(seconds=1))
    assert services.consent_request_open(secret=secret) is None


@pytest.mark.parametrize("pin", ["12345", "111111", "123456", "987654", "12a456", "1234567890123"])
def test_weak_or_malformed_pins_are_refused(cast, pin):
    with pytest.raises(ValidationError) as error:
        grant(cast.officer_a, cast.shelter_x, pin=pin)
    assert "pin" in error.value.message_dict


def test_events_and_ledger_entries_cannot_be_changed_or_removed_through_the_orm(granted, cast):
    event = granted.consent.events.get()
    entry = services.disclosure_record(
        consent=granted.consent, kind=Disclosure.Kind.SENT, organization=cast.shelter_x
    )
    for row in (event, entry):
        with pytest.raises(TypeError):
            row.save()
        with pytest.raises(TypeError):
            row.delete()
        with pytest.raises(TypeError):
            type(row).objects.filter(pk=row.pk).update(at=timezone.now())
        with pytest.raises(TypeError):
            type(row).objects.filter(pk=row.pk).delete()


@pytest.mark.parametrize("table", ["consent_consentevent", "consent_disclosure"])
def test_the_database_refuses_to_rewrite_the_logs(granted, cast, table):
    services.disclosure_record(
        consent=granted.consent, kind=Disclosure.Kind.SENT, organization=cast.shelter_x
    )
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"UPDATE {table} SET kind = 'revoked'")  # noqa: S608
    if connection.vendor == "postgresql":
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert ConsentEvent.objects.filter(kind="revoked").count() == 0
