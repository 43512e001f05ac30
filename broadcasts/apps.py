from django.apps import AppConfig


class BroadcastsConfig(AppConfig):
    """The public side of a broadcast: the watch page, viewers, questions and chat."""

    name = "broadcasts"
    # The label its tables and migrations were created under (it was streaming.webinar).
    label = "webinar"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Have a dead media worker's WebRTC viewers told to move (issue 14, item 5)."""
        from broadcasts.events import announce_moved
        from realtime import media_routes

        media_routes.add_announcer(announce_moved)
