from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    """Recordings (their pages and files) and the public archive: portal, feeds, search."""

    name = "archive"
    # The label the tables, migrations and permissions were created under, when this app
    # was part of ``streaming``; keeping it keeps every database as it is.
    label = "streaming"

    def ready(self) -> None:
        """Have a dead media worker's recordings go on elsewhere (issue 14, item 5)."""
        from archive.services.failover import recordings_carry_on
        from realtime import media_routes

        media_routes.add_announcer(recordings_carry_on)
