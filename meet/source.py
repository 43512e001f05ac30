"""/source/: the running program's source as a .tar.gz (AGPL-3.0-or-later, section 13).

The licence asks a network service to offer its users the Corresponding Source of the
version they use. When no public repository is configured (MEET_SOURCE_URL), the footer
links here and the process offers the tree it runs from. An allow-list, not the whole
folder: a checkout also holds var/ (the database, recordings), .env and environments.
"""

from __future__ import annotations

import functools
import io
import tarfile
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

# What makes up the program; whichever of these exist (the Docker image has no docs/).
SOURCE_FILES = (
    "LICENSE", "README.md", "pyproject.toml", "Dockerfile", "docker-compose.yml",
    ".dockerignore", ".env.example",
)  # fmt: skip
SOURCE_FOLDERS = (
    "meet", "rooms", "scheduling", "signaling", "broadcasts", "archive", "mediaworker",
    "realtime", "templates", "static", "locale", "docs", "deploy", "scripts", "requirements",
)  # fmt: skip
# Built, not source: bytecode and compiled catalogues.
_SKIPPED_PARTS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = frozenset({".pyc", ".mo"})
# Third-party code the repository vendors (static/vendor/hls.js with its LICENSE) is part of
# the tree the Dockerfile builds; a `vendor` folder anywhere else (a dependency manager's
# download) is not.
_VENDORED = "static/vendor"
ARCHIVE_NAME = "meet-source.tar.gz"


def _skipped(relative: Path) -> bool:
    if _SKIPPED_PARTS.intersection(relative.parts) or relative.suffix in _SKIPPED_SUFFIXES:
        return True
    if relative.name.startswith("."):
        return True
    return "vendor" in relative.parts and not relative.is_relative_to(_VENDORED)


def _members(root: Path) -> list[Path]:
    found = [root / name for name in SOURCE_FILES if (root / name).is_file()]
    for folder in SOURCE_FOLDERS:
        found += [
            path
            for path in (root / folder).rglob("*")
            if path.is_file() and not _skipped(path.relative_to(root))
        ]
    return sorted(found)


@functools.cache
def source_archive(root: Path) -> bytes:
    """The tree at ``root`` as a .tar.gz, built once per process (the code does not change)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in _members(root):
            archive.add(path, arcname=f"meet/{path.relative_to(root)}", recursive=False)
    return buffer.getvalue()


@require_GET
def source(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(source_archive(Path(settings.BASE_DIR)), "application/gzip")
    response["Content-Disposition"] = f'attachment; filename="{ARCHIVE_NAME}"'
    return response
