from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    """Owns sessions, recurrence, conflicts, invitations, attendance and iCalendar."""

    name = "scheduling"
