from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = _("Accounts and sign-in")

    def ready(self) -> None:
        # drf-spectacular finds the access-token scheme by its registration on import.
        from identity import schema  # noqa: F401
