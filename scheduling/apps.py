from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Owns sessions, recurrence, conflicts, invitations, attendance and iCalendar."""

    name = "scheduling"

    def ready(self) -> None:
        """Name the mail queue's series in Prometheus' default registry."""
        from scheduling.mail_metrics import register

        register()
