"""Compile the translation catalogues without GNU gettext (polib is pure Python)."""

from __future__ import annotations

from pathlib import Path

import polib


def compile_catalogues(root: Path) -> int:
    """Compile the project's and every app's catalogues; return how many .mo were written.

    ``root`` is the project folder: ``locale/`` there and ``<app>/locale/`` in each app.
    A .mo newer than its .po is left alone.
    """
    written = 0
    po_paths = [*root.glob("locale/*/LC_MESSAGES/*.po"), *root.glob("*/locale/*/LC_MESSAGES/*.po")]
    # Apps inside a package (broadcasts/locale/...); hidden folders (.venv) are not ours.
    nested = root.glob("*/*/locale/*/LC_MESSAGES/*.po")
    po_paths += [path for path in nested if not path.relative_to(root).parts[0].startswith(".")]
    for po_path in sorted(po_paths):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written += 1
    return written
