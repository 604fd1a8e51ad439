"""The API's JSON renderer: DRF's output, written by orjson.

Every search answer is twenty cards of JSON; the standard library's encoder took longer to
write them than the database took to find them. orjson writes the same JSON — compact,
UTF-8, UTC as ``Z``, U+2028 and U+2029 escaped as DRF does so the output stays a strict
JavaScript subset — and hands anything it doesn't know (lazy translations, decimals) to
DRF's encoder. A client asking for indented JSON (``Accept: application/json; indent=4``)
gets DRF's renderer, which indents to any width. (A NaN, which DRF refuses, would be
written as null; nothing Haven answers holds one.)
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
_default = JSONEncoder().default


class FastJSONRenderer(JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        written = orjson.dumps(data, default=_default, option=_OPTIONS)
        return written.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
