"""Compile the translation catalogues without GNU gettext (polib is pure Python)."""

from __future__ import annotations

from pathlib import Path

import polib


def compile_catalogues(locale_dir: Path) -> int:
    """Write a .mo beside every .po that is newer than it; return how many were written."""
    written = 0
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        written += 1
    return written
