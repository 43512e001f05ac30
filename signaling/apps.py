from django.apps import AppConfig


class SignalingConfig(AppConfig):
    """Owns the live-room WebSocket protocol and its consumer."""

    name = "signaling"

    def ready(self) -> None:
        """Have a dead media worker's live rooms told to move (issue 14, item 5)."""
        from realtime import media_routes
        from signaling.bus import announce_moved

        media_routes.add_announcer(announce_moved)
