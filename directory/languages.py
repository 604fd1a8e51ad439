"""Names for ISO 639 language codes, for people to read."""

from __future__ import annotations

from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

# Offered in the HTML search form; the API accepts any ISO 639 code.
COMMON_LANGUAGES = [
    ("en", _("English")), ("es", _("Spanish")), ("zh", _("Chinese")), ("vi", _("Vietnamese")),
    ("ko", _("Korean")), ("tl", _("Tagalog")), ("ar", _("Arabic")), ("ru", _("Russian")),
    ("fr", _("French")), ("ht", _("Haitian Creole")), ("pt", _("Portuguese")), ("hi", _("Hindi")),
    ("ase", _("American Sign Language")),
]  # fmt: skip
_NAMES = dict(COMMON_LANGUAGES)


def language_name(code: str) -> str:
    if code in _NAMES:
        return str(_NAMES[code])
    info = LANG_INFO.get(code)
    return str(info["name"]) if info else code
