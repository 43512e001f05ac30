"""Full-text search of the published archive, diacritics-insensitive on both databases.

SQLite (embedded default): the FTS5 table of migration 0003, queried with folded prefix
terms, ranked by bm25. PostgreSQL (production): ``to_tsvector('simple', search_text)``
(a GIN index) matched by a prefix ``tsquery`` that ``unaccent`` folds, ranked by ts_rank.
Snippets are cut from the original text, diacritics kept, the matching words marked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db import connection

from archive.domain.folding import MAX_TERM_CHARS, MAX_TERMS, Piece, snippet, terms
from archive.models import ArchiveEntry
from archive.portal.selectors import published
from archive.services.search import FTS_TABLE

MAX_QUERY_CHARS = 200
MAX_RESULTS = 200


@dataclass(frozen=True)
class Hit:
    entry: ArchiveEntry
    title: list[Piece]  # the title, the matching words marked
    snippet: list[Piece]


def _ranked_ids_sqlite(words: list[str]) -> list[int]:
    match = " ".join(f'"{word}"*' for word in words)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
            f"ORDER BY bm25({FTS_TABLE}) LIMIT %s",
            [match, MAX_RESULTS * 2],
        )
        return [row[0] for row in cursor.fetchall()]


def _ranked_ids_postgres(query: str) -> list[int]:
    # The words as typed (lower case, NFC); unaccent folds them as the index text was folded.
    raw = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", query).lower())
    words = list(dict.fromkeys(w[:MAX_TERM_CHARS] for w in raw))[:MAX_TERMS]
    tsquery = " & ".join(f"{word}:*" for word in words)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.id FROM streaming_archiveentry e, "
            "to_tsquery('simple', unaccent(%s)) q "
            "WHERE e.status = 'published' AND to_tsvector('simple', e.search_text) @@ q "
            "ORDER BY ts_rank(to_tsvector('simple', e.search_text), q) DESC, e.held_on DESC "
            "LIMIT %s",
            [tsquery, MAX_RESULTS],
        )
        return [row[0] for row in cursor.fetchall()]


def search(query: str) -> list[Hit]:
    """Published entries matching every word of ``query`` (prefixes too), best first."""
    words = terms(query[:MAX_QUERY_CHARS])
    if not words:
        return []
    if connection.vendor == "postgresql":
        ids = _ranked_ids_postgres(query[:MAX_QUERY_CHARS])
    else:
        ids = _ranked_ids_sqlite(words)
    found = {e.pk: e for e in published().filter(pk__in=ids)}
    hits = []
    for pk in ids:
        entry = found.get(pk)
        if entry is None:
            continue
        title = snippet(entry.title, words, width=len(entry.title) + 1)
        hits.append(Hit(entry, title, _best_snippet(entry, words)))
        if len(hits) >= MAX_RESULTS:
            break
    return hits


def _best_snippet(entry: ArchiveEntry, words: list[str]) -> list[Piece]:
    """The description, else the slide text, around the first match; else the description."""
    for text in (entry.description, entry.slide_text):
        pieces = snippet(text, words)
        if any(p.hit for p in pieces):
            return pieces
    return snippet(entry.description, words)
