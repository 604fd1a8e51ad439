"""Project-wide checks: migrations, the OpenAPI schema, settings that fail loudly."""

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
