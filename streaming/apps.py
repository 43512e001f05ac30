from django.apps import AppConfig


class StreamingConfig(AppConfig):
    """Owns the media worker, broadcasts, recordings and the public archive."""

    name = "streaming"
