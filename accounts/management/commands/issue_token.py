from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiToken
from accounts.services import token_issue
from directory.models import Organization


class Command(BaseCommand):
    help = "Issue an API token for an organisation and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="the organisation's id (its UUID)")
        parser.add_argument(
            "--scope", action="append", required=True, choices=ApiToken.Scope.values,
            help="repeat for several scopes",
        )  # fmt: skip
        parser.add_argument("--name", required=True, help="what the token is for")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = Organization.objects.get(code=options["organization"])
        except (Organization.DoesNotExist, ValidationError, ValueError):
            raise CommandError(f"No organisation with id {options['organization']}.") from None
        try:
            issued = token_issue(
                organization=organization,
                name=options["name"],
                scopes=options["scope"],
                issuer=None,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(issued.secret)
        self.stderr.write(
            f"Token {issued.token.code} for {organization.name}; shown once, store it now."
        )
