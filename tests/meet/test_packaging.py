"""The installed package holds every app of ours: a Django app left out of setuptools'
``packages.find`` works from the checkout (pytest runs there) but not from the installed
``meet`` command or the image's wheel (``courses`` was left out once)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def _ours(path: Path) -> bool:
    """In the checkout, not in its virtual environment (.venv lies inside it)."""
    path = path.resolve()
    return path.is_relative_to(ROOT) and not path.relative_to(ROOT).parts[0].startswith(".")


def test_every_app_of_ours_is_packaged() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    ours = [config.name for config in apps.get_app_configs() if _ours(Path(config.path))]
    assert "courses" in ours and "signaling" in ours  # the list was read
    left_out = [name for name in ours if not any(fnmatch(name, p) for p in patterns)]
    assert not left_out, f"apps missing from [tool.setuptools.packages.find] include: {left_out}"
