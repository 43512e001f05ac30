"""Sign-in providers' scopes, sign-in requests awaiting approval, and API tokens."""

from __future__ import annotations

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from identity.domain.roster import subject_keys
from rooms.models import Unit, UnitKind


class SignInScope(models.Model):
    """Which department a provider of the admin serves and which e-mail domains it accepts."""

    app = models.OneToOneField(
        SocialApp, on_delete=models.CASCADE, related_name="meet_scope", verbose_name=_("provider")
    )
    department = models.ForeignKey(
        Unit,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"kind": UnitKind.DEPARTMENT},
        related_name="+",
    )
    allowed_domains = models.TextField(
        _("allowed e-mail domains"),
        blank=True,
        help_text=_("One per line, e.g. hanoi.edu.vn. Empty: any domain."),
    )
    domains_verified = models.BooleanField(
        _("the provider owns these domains"),
        default=False,
        help_text=_(
            "Tick for a Microsoft 365 or Google Workspace tenant that has verified these "
            "domains: its addresses then count as verified for linking accounts."
        ),
    )

    class Meta:
        verbose_name = _("sign-in scope")
        verbose_name_plural = _("sign-in scopes")

    def __str__(self) -> str:
        return str(self.app)


class RequestStatus(models.TextChoices):
    # Its own context: the archive and broadcasts say "Chờ duyệt" for the same English.
    PENDING = "pending", pgettext_lazy("sign-in request", "Waiting for approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class SignInRequest(models.Model):
    """A first sign-in that matched no account: it waits for an administrator."""

    provider = models.CharField(_("provider"), max_length=200)
    uid = models.CharField(_("identifier at the provider"), max_length=191)
    email = models.EmailField(_("e-mail"), blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    department = models.ForeignKey(
        Unit,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The account to link on approval; empty: a new account is made."),
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sign-in request")
        verbose_name_plural = _("sign-in requests")
        constraints = [
            models.UniqueConstraint(fields=["provider", "uid"], name="one_request_per_identity"),
        ]

    def __str__(self) -> str:
        return self.email or self.uid


class Teacher(models.Model):
    """A teacher of the sector database, keyed by the national identification code."""

    national_id = models.CharField(_("national identification code"), max_length=12, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="teacher",
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="teachers"
    )
    # As the roster wrote them ("Toán, Tin học"), and their keys for matching ("|toan|tin
    # hoc|", identity.domain.roster.subject_key): a course enrols "every mathematics teacher".
    subjects = models.CharField(_("subjects taught"), max_length=300, blank=True)
    subject_keys = models.CharField(max_length=400, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("last imported"), auto_now=True)

    class Meta:
        ordering = ["national_id"]
        verbose_name = _("teacher")
        verbose_name_plural = _("teachers")

    def __str__(self) -> str:
        return f"{self.national_id} · {self.user.get_full_name() or self.user.get_username()}"

    def teaches(self, subjects: str) -> None:
        """Set the subjects taught from a roster cell (``subject_keys`` with them)."""
        self.subjects = subjects
        keys = subject_keys(subjects)
        self.subject_keys = f"|{'|'.join(keys)}|" if keys else ""


class RosterUpload(models.Model):
    """A roster file a department uploaded: previewed, then imported whole or not at all."""

    department = models.ForeignKey(
        Unit, verbose_name=_("department"), on_delete=models.CASCADE, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=255)
    table = models.JSONField(_("rows"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("roster upload")
        verbose_name_plural = _("roster uploads")

    def __str__(self) -> str:
        return self.filename


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class AccessToken(models.Model):
    """A personal access token for the REST API; only its digest is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="access_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=5, choices=TokenScope.choices)
    digest = models.CharField(max_length=64, unique=True)
    shown = models.CharField(_("starts with"), max_length=12)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.shown}…)"
