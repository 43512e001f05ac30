"""The worker as its own process needs no Django settings and none of our web side."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

WEB_SIDE = ("meet", "rooms", "scheduling", "signaling", "broadcasts", "archive")

# Every module of the worker imported in a fresh interpreter, its Redis layer built (it
# connects lazily), then what got loaded is reported.
IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import mediaworker
for found in pkgutil.walk_packages(mediaworker.__path__, "mediaworker."):
    if found.name != "mediaworker.__main__":  # that one runs the worker
        importlib.import_module(found.name)
from mediaworker.standalone import redis_layer
redis_layer("redis://127.0.0.1:6379/0")
from django.conf import settings
top = {name.partition(".")[0] for name in sys.modules}
print(json.dumps({"top": sorted(top), "configured": settings.configured}))
"""


def _environ_without_django() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    environ["PYTHONPATH"] = str(ROOT)
    return environ


def test_the_worker_imports_none_of_the_web_side_and_leaves_django_unconfigured() -> None:
    """Issue 11: the media worker is its own package; only mediaworker.wire is shared."""
    found = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        env=_environ_without_django(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report = json.loads(found.stdout.strip().splitlines()[-1])
    assert "mediaworker" in report["top"]
    assert sorted(set(WEB_SIDE) & set(report["top"])) == []
    # channels_redis imports django.conf for its base class; nothing configures it.
    assert report["configured"] is False


def test_python_m_mediaworker_without_redis_says_what_it_needs() -> None:
    environ = {k: v for k, v in _environ_without_django().items() if k != "REDIS_URL"}
    ran = subprocess.run(
        [sys.executable, "-m", "mediaworker"],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1
    assert "REDIS_URL" in ran.stderr
