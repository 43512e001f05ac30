from django.apps import AppConfig


class BroadcastsConfig(AppConfig):
    """The public side of a broadcast: the watch page, viewers, questions and chat."""

    name = "broadcasts"
    # The label its tables and migrations were created under (it was streaming.webinar).
    label = "webinar"
    default_auto_field = "django.db.models.BigAutoField"
