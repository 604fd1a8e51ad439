"""Form plumbing shared by every app."""

from __future__ import annotations

from django import forms
from django.core.exceptions import BadRequest
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

ERROR_REPEATED = _("This came more than once. Send it once and try again.")


class OneValueEach(forms.BaseForm):
    """A field that takes one value refuses a request that sends it twice.

    Django reads the last of repeated values and drops the others; a page never sends a
    field twice, so two values mean a request built by hand — and whichever one a proxy, a
    log or a check looked at may not be the one that was used. Fields that take several
    values (checkboxes, multiple selects) are not affected.
    """

    def full_clean(self) -> None:
        super().full_clean()
        if not self.is_bound:
            return
        for name, field in self.fields.items():
            if getattr(field.widget, "allow_multiple_selected", False) or isinstance(
                field.widget, forms.MultipleHiddenInput
            ):
                continue
            key = self.add_prefix(name)
            source = self.files if isinstance(field, forms.FileField) else self.data
            if hasattr(source, "getlist") and len(source.getlist(key)) > 1:
                self.add_error(name, forms.ValidationError(ERROR_REPEATED, code="repeated"))


def one_value(data: QueryDict, name: str, default: str = "") -> str:
    """The one value of a field a view reads without a form; sent twice, the request is a
    400 (``templates/400.html``), for the reason :class:`OneValueEach` gives."""
    values = data.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"the field {name!r} came {len(values)} times")
    return values[0] if values else default
