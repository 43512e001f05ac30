"""Full-text search of the archive: FTS5 on SQLite, tsvector + unaccent on PostgreSQL.

``search_text`` already holds folded text (no diacritics); SQLite indexes it in an FTS5
table kept in step by streaming/services/search.py. PostgreSQL indexes it with a GIN
expression index and folds the query with ``unaccent``.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS streaming_archive_fts "
            "USING fts5(search_text, tokenize = 'unicode61 remove_diacritics 2')"
        )
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS streaming_archive_search_gin ON streaming_archiveentry "
            "USING GIN (to_tsvector('simple'::regconfig, search_text))"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS streaming_archive_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS streaming_archive_search_gin")


class Migration(migrations.Migration):
    dependencies = [("streaming", "0002_editor_group")]

    operations = [migrations.RunPython(forwards, backwards)]
