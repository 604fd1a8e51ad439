"""Production settings pass Django's deployment checklist with no warnings."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def production_env(**extra):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HAVEN_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "haven.example.org",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DATABASE_URL": "postgres://haven@127.0.0.1:5432/haven",
        "HAVEN_KEK": base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    env.update(extra)
    return env


def test_check_deploy_passes_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_demo_mode_and_missing_redis():
    for extra, message in [
        ({"HAVEN_DEMO_MODE": "true"}, "HAVEN_DEMO_MODE cannot be on in production"),
        ({"REDIS_URL": ""}, "REDIS_URL is required in production"),
        ({"HAVEN_KEK": ""}, "HAVEN_KEK (or HAVEN_KEK_FILE) is required in production"),
    ]:
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT, env=production_env(**extra), capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode != 0
        assert message in result.stderr
