"""The hostile values every form field and API field is tried with, by name.

Text attacks are refused by every field that takes a code, a number or a choice; free text
(a name, a signature, a callback) refuses the overlong and the NUL byte and keeps markup and
SQL as the plain text they are — stored exactly as typed, never run (the browser tests check
the markup is shown as text). Emoji, right-to-left script and accents are ordinary text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LONG = "A" * 10_000
NUL = "Ann\x00e"
MARKUP = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
SQL = "Robert'); DROP TABLE accounts_user; --"
EMOJI = "Casa Segura 🏠👩‍👧‍👦"
RTL = "بيت الأمان"
ACCENTS = "Refugio Peña Niño Ñandú"

# Values that arrive as text: a form field, a query parameter. Every field gets these…
TEXT = {
    "10,000 characters": LONG,
    "a NUL byte": NUL,
    "markup": MARKUP,
    "SQL": SQL,
    "emoji": EMOJI,
    "right-to-left": RTL,
    "accents": ACCENTS,
    "blank": "",
    "spaces": "   ",
}
# …and fields that take a number these too.
NUMBERS = {
    "negative": "-1",
    "beyond 64 bits": str(2**64 * 10**6),
    "negative beyond 64 bits": str(-(2**64) * 10**6),
    "a fraction": "1.5",
    "an exponent": "1e309",
    "NaN": "NaN",
    "a word for a number": "seven",
}
VALUES = {**TEXT, **NUMBERS}
# What free text is for: kept as typed (within its length).
PLAIN_TEXT = frozenset({"markup", "SQL", "emoji", "right-to-left", "accents"})
# How a field can be wrong in shape rather than in value.
SHAPES = ("missing", "repeated")

# Values that arrive as JSON: every type where another is expected.
JSON = {
    "10,000 characters": LONG,
    "a NUL byte": NUL,
    "markup": MARKUP,
    "SQL": SQL,
    "emoji": EMOJI,
    "right-to-left": RTL,
    "accents": ACCENTS,
    "negative": -1,
    "beyond 64 bits": 2**64 * 10**6,
    "negative beyond 64 bits": -(2**64) * 10**6,
    "a fraction": 1.5,
    "a huge float": 1e308,
    "a number as text": "2",
    "true": True,
    "false": False,
    "null": None,
    "a list": ["emergency_shelter"],
    "an empty list": [],
    "an object": {"name": "x"},
    "an empty object": {},
    "blank": "",
}
JSON_PLAIN_TEXT = frozenset({"markup", "SQL", "emoji", "right-to-left", "accents"})


@dataclass(frozen=True)
class Field:
    """How one field must treat hostile values.

    ``text``: free text — markup, SQL and any script are kept as typed;
    ``code``: a choice, number, code, e-mail or reference — every hostile value is refused;
    ``choices``: several values from a list (checkboxes) — hostile ones refused, a choice
    twice is still that choice; ``flag``: a checkbox — any value ticks it, none unticks it;
    ``nav``: where to go next or a display preference — an unknown value is ignored and a
    fixed page follows, as with Django's own ``set_language``. ``numeric`` fields are tried
    with hostile numbers as well.
    """

    kind: str
    required: bool = True
    numeric: bool = False
    accepts: frozenset[str] = frozenset()  # hostile values this field legitimately takes
    refuses: frozenset[str] = frozenset()  # …and text it legitimately refuses
    also: tuple[str, ...] = ()  # fields always sent the same value (a PIN and its repeat)

    def payloads(self) -> list[str]:
        return [*TEXT, *(NUMBERS if self.numeric else ()), *SHAPES]

    def takes(self, payload: str) -> bool | None:
        """True: accepted; False: refused; None: either is right (spaces in an optional
        code: some fields strip them, some refuse them)."""
        if payload in self.accepts or self.kind == "nav":
            return True
        if payload in self.refuses:
            return False
        if payload == "repeated":
            return self.kind == "choices"
        if payload == "missing":
            return not self.required or self.kind == "flag"
        if payload in ("blank", "spaces"):
            if self.kind == "flag":
                return True
            if self.required:
                return False
            # No browser sends an empty checkbox value: refusing one is as right as ignoring it.
            return True if payload == "blank" and self.kind != "choices" else None
        if self.kind == "text":
            return payload in PLAIN_TEXT
        return self.kind == "flag"


def text(**kwargs: Any) -> Field:
    return Field("text", **kwargs)


def code(**kwargs: Any) -> Field:
    return Field("code", **kwargs)


def choices(**kwargs: Any) -> Field:
    return Field("choices", **kwargs)


FLAG, NAV, NUMBER = Field("flag"), Field("nav"), Field("code", numeric=True)
OPTIONAL = code(required=False)


@dataclass(frozen=True)
class JsonField:
    """How one field of a JSON body must treat every JSON value (``JSON`` above).

    ``text`` keeps markup, SQL and any script as the text they are; every other kind (a
    code, a number, a list, an object) refuses all that is not what it is for: a value of
    another JSON type is refused even where it could be converted ("2" for 2, 1 for "1").
    """

    kind: str
    required: bool = True
    accepts: frozenset[str] = frozenset()
    refuses: frozenset[str] = frozenset()

    def payloads(self) -> list[str]:
        return [*JSON, "missing"]

    def takes(self, payload: str) -> bool:
        if payload in self.accepts:
            return True
        if payload in self.refuses:
            return False
        if payload == "missing":
            return not self.required
        return self.kind == "text" and payload in JSON_PLAIN_TEXT


def json_text(**kwargs: Any) -> JsonField:
    return JsonField("text", **kwargs)


def json_code(**kwargs: Any) -> JsonField:
    return JsonField("code", **kwargs)
