from typing import Any

from django.core.management.base import BaseCommand, CommandError

from directory.models import Organization
from referrals import crypto
from referrals.models import OrganizationKey
from referrals.services import org_key_create


class Command(BaseCommand):
    help = (
        "Give every service provider without an active encryption key its first one, so it "
        "can receive sealed referrals (run at onboarding; a second run changes nothing)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        keyed = OrganizationKey.objects.filter(status=OrganizationKey.Status.ACTIVE)
        missing = Organization.objects.filter(kind=Organization.Kind.PROVIDER).exclude(
            pk__in=keyed.values("organization_id")
        )
        created = 0
        for organization in missing.iterator():
            try:
                org_key_create(organization=organization)
            except crypto.KeyEncryptionKeyError as error:
                raise CommandError(f"Cannot wrap new keys: {error}.") from None
            created += 1
        self.stdout.write(f"{created} organisations received their first key.")
