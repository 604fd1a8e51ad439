from typing import Any

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, demo_accounts_load, demo_totp_base32
from directory.demo import demo_directory_load


class Command(BaseCommand):
    help = "Load the demo directory and demo accounts (idempotent: a second run changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        changes = demo_directory_load()
        self.stdout.write(f"Demo directory ready ({changes} rows created or updated).")
        accounts = demo_accounts_load()
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        for account in accounts:
            where = (
                f"{account.role} of {account.organization}"
                if account.organization
                else "network steward"
            )
            self.stdout.write(f"  {account.email:<36} {where}")
            self.stdout.write(f"  {'':<36} authenticator key {demo_totp_base32(account.email)}")
        self.stdout.write(
            "\nIn demo mode the code page shows each demo account its current code; or add the "
            "key to any authenticator app."
        )
