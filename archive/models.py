"""Recordings of rooms and broadcasts, and the public archive made from them.

C53 Art. 14.14 (broadcasts archived), Art. 16-17 (editorial approval, search, RSS, tags).

A recording's files live on disk in ``MEET_RECORDINGS_ROOT / <id.hex>`` (written by the media
worker, described by its ``status.json``); these rows are the web side's view of them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rooms.models import Room, Unit
from scheduling.models import Occurrence, SessionKind


class RecordingKind(models.TextChoices):
    BROADCAST = "broadcast", _("Broadcast")
    MEETING = "meeting", _("Meeting")


class RecordingState(models.TextChoices):
    """Mirrors ``state`` in status.json (mediaworker/wire/status.py)."""

    RECORDING = "recording", pgettext_lazy("recording state", "Recording")
    FINALISING = "finalising", _("Finishing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Recording(models.Model):
    """One recording; its id (a random UUID) names its directory and makes its URLs unguessable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="recordings"
    )
    occurrence = models.ForeignKey(
        Occurrence,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recordings",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=RecordingKind.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=RecordingState.choices,
        default=RecordingState.RECORDING,
    )
    progress = models.FloatField(_("progress"), default=0.0)
    duration = models.FloatField(_("duration (seconds)"), default=0.0)
    transcoded = models.BooleanField(_("video was re-encoded"), default=False)
    mp4_bytes = models.BigIntegerField(_("MP4 size (bytes)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    # The recording this one carries on, when the media worker making that one died
    # (archive/services/failover.py): the two are parts of one recording and one entry.
    continues = models.OneToOneField(
        "self",
        verbose_name=_("continues"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="continued_by",
    )
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        indexes = [models.Index(fields=["room", "-created"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.room.slug} · {self.created:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.state in (RecordingState.READY, RecordingState.FAILED)


class Tag(models.Model):
    """A keyword of the archive (C53 Art. 17.6); its slug is the name without diacritics."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("address name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")
    # An editor refused it before it was ever public (it may still be approved later).
    REJECTED = "rejected", _("Rejected")


class ArchiveEntry(models.Model):
    """A finished broadcast in the public archive, public only once an editor approves it."""

    recording = models.OneToOneField(
        Recording, verbose_name=_("recording"), on_delete=models.PROTECT, related_name="entry"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("address name"), max_length=80, blank=True)
    description = models.TextField(_("description"), blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("host unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="archive_entries",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    held_on = models.DateField(_("held on"), db_index=True)
    duration = models.FloatField(_("duration (seconds)"), default=0.0)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="entries")
    poster = models.CharField(_("poster image"), max_length=100, blank=True)
    chapters = models.JSONField(_("chapters"), default=list, blank=True)
    slide_text = models.TextField(_("slide text"), blank=True)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Name the original source when this is republished material."),
    )
    captions = models.TextField(_("captions (WebVTT)"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=EntryStatus.choices, default=EntryStatus.PENDING
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    # Titles, description, tags, source and slide text folded (lower case, no diacritics):
    # what the search indexes (archive/services/search.py keeps it and the index in step).
    search_text = models.TextField(blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("archive entry")
        verbose_name_plural = _("archive entries")
        permissions = [("publish_archiveentry", _("Can approve and unpublish archive entries"))]
        indexes = [models.Index(fields=["status", "-held_on"])]

    def __str__(self) -> str:
        return self.title
