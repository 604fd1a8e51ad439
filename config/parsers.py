"""The API's JSON parser: one reading of a body, whatever reads it after us."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# No request body of the API is more than a few levels deep.
MAX_DEPTH = 20


class StrictJSONParser(JSONParser):
    """JSON, refused with a 400 where readers could disagree about it or the database would
    choke on it: a key given twice (which one counts?), NaN and Infinity, text holding a NUL
    character or half of a UTF-16 pair (PostgreSQL refuses both; neither is text anyone
    typed), and nesting deeper than any request needs."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
        except UnicodeDecodeError:
            raise ParseError(_("The body is not UTF-8 text.")) from None
        except _Refused as refused:
            raise ParseError(str(refused)) from None
        except ValueError as error:
            raise ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": error}
            ) from None
        _check_text(data)
        return data


class _Refused(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(_("The key “%(key)s” appears twice in one object.") % {"key": key[:40]})
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise _Refused(_("%(name)s is not a number JSON allows.") % {"name": name})


def _check_text(data: Any) -> None:
    """Every key and string, walked without recursion (the depth is what is checked)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_string(value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise ParseError(_("The JSON is nested too deeply."))
        if isinstance(value, dict):
            for key in value:
                _check_string(key)
            pending += [(item, depth + 1) for item in value.values()]
        else:
            pending += [(item, depth + 1) for item in value]


def _check_string(text: str) -> None:
    if "\x00" in text:
        raise ParseError(_("Text in the JSON holds a NUL character (\\u0000)."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ParseError(
            _("Text in the JSON holds half of a UTF-16 surrogate pair, which is not a character.")
        ) from None
