from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoomsConfig(AppConfig):
    """Owns units, rooms, accounts, roles and equipment checklists (C53 Art. 3, 4, 8, 18)."""

    name = "rooms"
    verbose_name = _("Rooms and sites")
