from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionsConfig(AppConfig):
    """Owns teacher-excellence competitions: rubrics, contestants, juries, slots, scores."""

    name = "competitions"
    verbose_name = _("Teacher competitions")

    def ready(self) -> None:
        # A lesson's jurors watch it in the school's room as silent observers.
        from competitions.selectors import observes_lesson, reviews_lesson
        from rooms.observers import observer_source, reviewer_source

        observer_source(observes_lesson)
        reviewer_source(reviews_lesson)
