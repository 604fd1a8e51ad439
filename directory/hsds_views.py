"""The steward's page for importing an HSDS directory (the same import as ``import_hsds``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from config.forms import OneValueEach
from directory.hsds_compat import AUTO
from directory.hsds_import import ImportSummary, import_path
from directory.hsds_problems import ImportRefused, Problem
from directory.views import verified_required

MAX_NAME_BYTES = 200


class HsdsImportForm(OneValueEach, forms.Form):
    file = forms.FileField(
        label=_("HSDS file"),
        help_text=_("A JSON file, or a .zip of a tabular package with datapackage.json."),
    )
    dry_run = forms.BooleanField(
        label=_("Only check it: import nothing"), required=False, initial=True
    )
    hsds_version = forms.ChoiceField(
        label=_("HSDS version"),
        choices=[
            (AUTO, _("Find out from the file")),
            ("3.1", _("HSDS 3.1")),
            ("3.0", _("HSDS 3.0 (read as 3.1)")),
        ],
        initial=AUTO,
        required=False,
    )
    allow_dangling = forms.BooleanField(
        label=_("Accept links to rows the package does not contain (each is noted)"),
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".json", ".zip")):
            raise forms.ValidationError(_("Upload a .json file or a .zip package."))
        upload.name = storable_name(upload.name)
        return upload


def storable_name(name: str) -> str:
    """The uploaded file's name as the file is saved under (and the report calls it): no
    folders, no control characters, and short enough in bytes for any file system (255
    characters of emoji are 1,020 bytes)."""
    name = "".join(c for c in Path(name).name if c.isprintable())
    suffix = Path(name).suffix
    stem = name[: len(name) - len(suffix)].encode()[:MAX_NAME_BYTES].decode("utf-8", "ignore")
    return (stem or "upload") + suffix.lower()


@require_http_methods(["GET", "POST"])
@verified_required
def hsds_import(request: HttpRequest) -> HttpResponse:
    """Stewards check (and then import) a directory file; the report lists every problem."""
    if not request.user.is_staff:
        raise PermissionDenied
    form = HsdsImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    summary: ImportSummary | None = None
    problems: list[Problem] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            try:
                summary = import_path(
                    path,
                    dry_run=form.cleaned_data["dry_run"],
                    allow_dangling=form.cleaned_data["allow_dangling"],
                    hsds_version=form.cleaned_data["hsds_version"] or AUTO,
                    actor=f"user:{request.user.code}",
                )
            except ImportRefused as refused:
                problems = refused.problems
    context = {"form": form, "summary": summary, "problems": problems,
               "dry_run": form.cleaned_data.get("dry_run") if form.is_bound and form.is_valid()
               else True}  # fmt: skip
    status = 400 if problems or form.errors else 200
    return render(request, "directory/hsds_import.html", context, status=status)
