from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    """Recordings (their pages and files) and the public archive: portal, feeds, search."""

    name = "archive"
    # The label the tables, migrations and permissions were created under, when this app
    # was part of ``streaming``; keeping it keeps every database as it is.
    label = "streaming"

    def ready(self) -> None:
        # Recordings finished by the media worker become archive entries (and their pages
        # show the finished file) without anybody having to open a page first.
        from archive.services.recordings import refresh_unfinished
        from scheduling.jobs import register_minute_job

        register_minute_job("recordings_refreshed", refresh_unfinished)
