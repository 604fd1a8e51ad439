"""What an HSDS import found wrong, said so a steward can find and fix it."""

from __future__ import annotations

from dataclasses import dataclass

ORIGIN = "_origin"  # where a nested object came from ("services.csv row 12"); never stored


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input: where (file and row, or file and JSON pointer), which
    field, and what is wrong, in plain words."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}:{field} {self.message}"


class ImportRefused(Exception):
    """The input cannot be imported as it is; nothing was written. ``problems`` lists every
    problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(set(problems))  # one report per problem, however often met
