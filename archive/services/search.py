"""Keeps each archive entry's folded search text, and SQLite's FTS5 index, up to date."""

from __future__ import annotations

from django.db import connection

from archive.domain.folding import fold
from archive.models import ArchiveEntry

FTS_TABLE = "streaming_archive_fts"


def search_text_for(entry: ArchiveEntry) -> str:
    """Everything a visitor may search for, folded: titles, description, tags, source, slides."""
    parts = [entry.title, entry.description, entry.source, entry.slide_text]
    if entry.pk:
        parts.extend(tag.name for tag in entry.tags.all())
    for chapter in entry.chapters or []:
        if isinstance(chapter, dict):
            parts.append(str(chapter.get("title", "")))
    if entry.unit_id and entry.unit is not None:
        parts.append(entry.unit.name)
    return fold(" \n".join(p for p in parts if p))


def entry_index(*, entry: ArchiveEntry) -> None:
    """Recompute the entry's search text and, on SQLite, its row of the FTS5 table."""
    entry.search_text = search_text_for(entry)
    ArchiveEntry.objects.filter(pk=entry.pk).update(search_text=entry.search_text)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [entry.pk])
            cursor.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, search_text) VALUES (%s, %s)",
                [entry.pk, entry.search_text],
            )
