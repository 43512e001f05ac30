"""Compile the translation catalogues without GNU gettext (polib is pure Python)."""

from __future__ import annotations

import logging
from pathlib import Path

import polib

logger = logging.getLogger(__name__)


def compile_catalogues(root: Path) -> int:
    """Compile the project's and every app's catalogues; return how many .mo were written.

    ``root`` is the project folder: ``locale/`` there and ``<app>/locale/`` in each app.
    A .mo newer than its .po is left alone, so an up-to-date tree is only read: the Docker
    image compiles them at build time and runs as a user that may not write there. A stale
    .mo that cannot be written (a read-only tree) is reported in one log line and the pages
    go on with the catalogue that is there (or none): translations never stop a start.
    """
    written = 0
    unwritable: list[str] = []
    po_paths = [*root.glob("locale/*/LC_MESSAGES/*.po"), *root.glob("*/locale/*/LC_MESSAGES/*.po")]
    # Apps inside a package (broadcasts/locale/...); hidden folders (.venv) are not ours.
    nested = root.glob("*/*/locale/*/LC_MESSAGES/*.po")
    po_paths += [path for path in nested if not path.relative_to(root).parts[0].startswith(".")]
    for po_path in sorted(po_paths):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        try:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        except OSError:  # PermissionError, a read-only file system
            unwritable.append(str(mo_path.relative_to(root)))
            continue
        written += 1
    if unwritable:
        logger.warning(
            "Translation catalogues are out of date and this tree is read-only; "
            "using the ones there (rebuild the image to refresh them): %s",
            ", ".join(unwritable),
        )
    return written
