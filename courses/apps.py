from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    """Owns training courses: sessions, enrolment, watched time, quizzes, certificates."""

    name = "courses"
    verbose_name = _("Training courses")
