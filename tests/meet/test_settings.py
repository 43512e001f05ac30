"""Settings from the environment; production mode refuses unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x" * 50


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with exactly these variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MEET_", "DEBUG"))}
    clean.pop("SECRET_KEY", None)
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.DATABASES['default']['ENGINE'], settings.CHANNEL_LAYERS['default']"
        "['BACKEND'], settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.MEET_ROOM_HOST, "
        "settings.SESSION_COOKIE_SECURE)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "meet.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_are_sqlite_in_memory_vietnamese_hcmc() -> None:
    env = {k: v for k, v in os.environ.items()}
    for name in ("DATABASE_URL", "REDIS_URL", "MEET_ROOM_HOST", "TIME_ZONE"):
        env.pop(name, None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); "
            "print(settings.DATABASES['default']['ENGINE']); "
            "print(settings.CHANNEL_LAYERS['default']['BACKEND']); "
            "print(settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.MEET_ROOM_HOST)",
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "meet.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "vi Asia/Ho_Chi_Minh hop.edu.net.vn",
    ]


def test_production_refuses_the_default_secret() -> None:
    result = load_settings(MEET_MODE="production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = load_settings(MEET_MODE="production", SECRET_KEY=GOOD_SECRET, DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_with_a_secret_starts_with_secure_cookies() -> None:
    result = load_settings(MEET_MODE="production", SECRET_KEY=GOOD_SECRET)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")


def test_a_typo_in_a_boolean_is_an_error_not_a_guess() -> None:
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


@pytest.mark.django_db
def test_demo_data_is_refused_in_production(settings) -> None:
    from rooms.errors import ProductionRefused
    from rooms.services.demo import demo_load

    settings.PRODUCTION = True
    with pytest.raises(ProductionRefused):
        demo_load()
