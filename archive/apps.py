from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    """Recordings (their pages and files) and the public archive: portal, feeds, search."""

    name = "archive"
    # The label the tables, migrations and permissions were created under, when this app
    # was part of ``streaming``; keeping it keeps every database as it is.
    label = "streaming"
