"""Every survivor-facing string, and the consent notice, exists in Spanish."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
# What a survivor reads: their pages, the field template they use, and everything the
# consent app says in Python (forms, choices, errors, messages).
SURVIVOR_TEMPLATES = [
    *sorted((ROOT / "consent/templates/consent/survivor").glob("*.html")),
    ROOT / "directory/templates/directory/_field.html",
]
SURVIVOR_MODULES = [ROOT / "consent" / name for name in ("forms.py", "models.py", "services.py",
                                                         "views.py")]  # fmt: skip
GETTEXT_NAMES = {"_", "gettext", "gettext_lazy", "pgettext", "pgettext_lazy"}
# Strings that are the same in both languages.
SAME_IN_SPANISH = {"PIN", "English", "Español"}


def template_strings(path: Path) -> set[str]:
    text = templatize(path.read_text(), origin=str(path))
    return {
        ast.literal_eval(literal)
        for literal in re.findall(
            r"""gettext\((u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))\)""", text
        )
    }


def module_strings(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in GETTEXT_NAMES
            and node.args
            and isinstance(node.args[-1], ast.Constant)
            and isinstance(node.args[-1].value, str)
        ):
            found.add(node.args[-1].value)
    return found


def survivor_strings() -> set[str]:
    from directory.models import Category

    with translation.override("en"):  # what the referral is for, shown in the portal
        strings = {str(label) for label in Category.labels}
    for path in SURVIVOR_TEMPLATES:
        strings |= template_strings(path)
    for path in SURVIVOR_MODULES:
        strings |= module_strings(path)
    return strings


def test_the_extraction_finds_the_notice():
    strings = survivor_strings()
    assert len(strings) > 80
    assert "Please read this first" in strings
    assert "The name or alias to use" in strings  # a model choice
    assert any(s.startswith("“Leave this site now” (or the Esc key)") for s in strings)
    assert "Choose when this ends." in strings  # a service error


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_every_survivor_facing_string_is_translated(language):
    untranslated = []
    with translation.override(language):
        for message in sorted(survivor_strings() - SAME_IN_SPANISH):
            if translation.gettext(message) == message:
                untranslated.append(message)
    assert untranslated == [], f"{len(untranslated)} strings lack a {language} translation"
