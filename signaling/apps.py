from django.apps import AppConfig


class SignalingConfig(AppConfig):
    """Owns the live-room WebSocket protocol and its consumer."""

    name = "signaling"
