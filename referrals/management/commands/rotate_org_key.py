from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.models import Organization
from referrals import crypto
from referrals.services import org_key_create


class Command(BaseCommand):
    help = (
        "Make a new active encryption key for a provider organisation (its first, or a "
        "rotation). The old key is retired and destroyed once no packet needs it; the change "
        "is audited and e-mailed to the organisation's admins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="The organisation's id (UUID).")
        parser.add_argument("--suite", choices=sorted(crypto.SUITES), default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = Organization.objects.get(code=options["organization"])
        except (Organization.DoesNotExist, ValidationError):
            raise CommandError("No organisation has that id.") from None
        try:
            key = org_key_create(organization=organization, suite=options["suite"])
        except crypto.KeyEncryptionKeyError as error:
            raise CommandError(f"Cannot wrap the new key: {error}.") from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"New key {key.key_id} ({key.suite}) for {organization.code}.\n"
            f"Fingerprint: {crypto.fingerprint(bytes(key.public_key))}"
        )
