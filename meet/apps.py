from django.apps import AppConfig


class MeetConfig(AppConfig):
    """Wiring only: settings, routing, the command line and cross-app templates."""

    name = "meet"
