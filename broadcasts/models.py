"""Viewers' questions, the public chat and its switch, per room (and broadcast)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from rooms.models import Room
from scheduling.models import Occurrence


class QuestionState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    ANSWERED = "answered", _("Answered")
    HIDDEN = "hidden", _("Hidden")


# What the public sees; pending and hidden questions stay with the hosts.
PUBLIC_STATES = (QuestionState.APPROVED, QuestionState.ANSWERED)


class Question(models.Model):
    """A viewer's question to the presenters; public once a host approves it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="webinar_questions")
    occurrence = models.ForeignKey(
        Occurrence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("question"))
    asker_name = models.CharField(_("name"), max_length=80, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=QuestionState.choices, default=QuestionState.PENDING
    )
    highlighted = models.BooleanField(_("highlighted"), default=False)
    answer = models.TextField(_("answer"), blank=True)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["room", "occurrence", "state"])]

    def __str__(self) -> str:
        return self.text[:60]


class WatchSettings(models.Model):
    """A room's switches for its public watch page."""

    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="watch_settings")
    chat_enabled = models.BooleanField(_("viewers may chat"), default=False)

    class Meta:
        verbose_name = _("watch page settings")
        verbose_name_plural = _("watch page settings")

    def __str__(self) -> str:
        return str(self.room)


class PublicChatMessage(models.Model):
    """A viewer's chat message on the watch page (kept as it happens)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="+")
    occurrence = models.ForeignKey(
        Occurrence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=80, blank=True)
    text = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("public chat message")
        verbose_name_plural = _("public chat messages")
        indexes = [models.Index(fields=["room", "created_at"])]

    def __str__(self) -> str:
        return self.text[:60]
