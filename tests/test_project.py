"""Project-wide checks: migrations, the OpenAPI schema, settings that fail loudly, the
translation catalogues."""

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_every_app_with_models_has_migrations():
    # makemigrations --check skips an app without a migrations package, and the test database
    # is built for it anyway, so only `migrate` in a real deployment would miss its tables.
    from django.apps import apps
    from django.conf import settings
    from django.db.migrations.loader import MigrationLoader

    ours = [app for app in apps.get_app_configs() if settings.BASE_DIR in Path(app.path).parents]
    unmigrated = MigrationLoader(None, ignore_no_migrations=True).unmigrated_apps
    assert [app.label for app in ours if app.models and app.label in unmigrated] == []


def test_the_openapi_schema_is_valid(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/search" in target.read_text()


def test_the_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def _settings_error(env):
    code = "import django; django.setup()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result.returncode, result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HAVEN_ENV": "production"}, "SECRET_KEY (or SECRET_KEY_FILE) is required"),
        ({"HAVEN_ENV": "production", "SECRET_KEY": "short"}, "at least 50 characters"),
        ({"HAVEN_ENV": "staging"}, "HAVEN_ENV must be one of"),
        ({"HAVEN_ENV": "development", "DEBUG": "perhaps"}, "DEBUG must be one of"),
        ({"HAVEN_ENV": "production", "SECRET_KEY": "k" * 60}, "ALLOWED_HOSTS is required"),
        ({"HAVEN_ENV": "development", "HAVEN_SEARCH_PAGE_SIZE": "0"}, "at least 1"),
    ],
)
def test_settings_fail_loudly_on_a_bad_environment(env, message):
    code, stderr = _settings_error(env)
    assert code != 0
    assert message in stderr


def test_the_health_check_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


# --- Translation catalogues ------------------------------------------------------------------

CATALOGUES = sorted((Path(__file__).resolve().parent.parent / "locale").glob("*/LC_MESSAGES/*.po"))
# What a translation must carry over unchanged: %(name)s / %s / %% placeholders, {name}
# placeholders and HTML tags.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd%]|\{[a-z_]*\}|</?[a-z]+[^>]*>")


def _unquote(line: str) -> str:
    text = line[line.index('"') + 1 : line.rindex('"')]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), text)


def _entries(path: Path) -> list[dict]:
    """The live entries of a .po file (msgid, msgid_plural, msgstr — a list — and flags):
    a reader small enough to need no library. Obsolete (#~) entries are left out."""
    entries: list[dict] = []
    entry: dict = {}
    field = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip() or line.startswith("#~"):
            if "msgid" in entry:
                entries.append(entry)
            entry, field = {}, ""
        elif line.startswith("#,"):
            entry["flags"] = {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if field.startswith("msgstr"):
                entry["msgstr"][-1] += _unquote(line)
            else:
                entry[field] += _unquote(line)
        else:
            field = line.split(" ", 1)[0]
            if field.startswith("msgstr"):
                entry.setdefault("msgstr", []).append(_unquote(line))
            else:
                entry[field] = _unquote(line)
    return [e for e in entries if e["msgid"]]


def test_there_is_a_spanish_catalogue():
    assert [path.parts[-3] for path in CATALOGUES] == ["es"]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3] + "/" + path.name)
def test_every_message_is_translated_and_none_is_fuzzy(path):
    entries = _entries(path)
    assert entries
    assert [e["msgid"] for e in entries if "fuzzy" in e.get("flags", ())] == []
    assert [e["msgid"] for e in entries if not all(e["msgstr"])] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3] + "/" + path.name)
def test_translations_keep_their_placeholders_and_tags(path):
    wrong = []
    for entry in _entries(path):
        sources = [entry["msgid"], entry.get("msgid_plural", entry["msgid"])]
        for index, translation in enumerate(entry["msgstr"]):
            source = sources[min(index, 1)]
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                wrong.append(entry["msgid"])
    assert wrong == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3] + "/" + path.name)
def test_the_compiled_catalogue_is_the_current_one(path):
    """`make messages` compiles the .po; a .mo left behind would serve old words."""
    with path.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in _entries(path):
        if "msgid_plural" in entry:
            served = [compiled.ngettext(entry["msgid"], entry["msgid_plural"], n) for n in (1, 2)]
        else:
            served = [compiled.gettext(entry["msgid"])]
        if served != entry["msgstr"]:
            stale.append(entry["msgid"])
    assert stale == []
