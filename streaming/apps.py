from django.apps import AppConfig


class StreamingConfig(AppConfig):
    """Owns the media worker, broadcasts, recordings and the public archive."""

    name = "streaming"

    def ready(self) -> None:
        # Recordings finished by the media worker become archive entries (and their pages
        # show the finished file) without anybody having to open a page first.
        from scheduling.jobs import register_minute_job
        from streaming.services.recordings import refresh_unfinished

        register_minute_job("recordings_refreshed", refresh_unfinished)
