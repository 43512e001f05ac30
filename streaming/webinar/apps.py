from django.apps import AppConfig


class WebinarConfig(AppConfig):
    """The public side of a broadcast: the watch page, viewers, questions and chat."""

    name = "streaming.webinar"
    label = "webinar"
    default_auto_field = "django.db.models.BigAutoField"
