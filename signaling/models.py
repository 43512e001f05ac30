"""What a live meeting leaves behind: who came, chat, polls, shared files and slides."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rooms.models import Room


class LiveRoomSettings(models.Model):
    """How a room's live meetings let people in: the lobby and the guests' password."""

    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="live_settings")
    lobby_enabled = models.BooleanField(
        _("guests wait in the lobby"),
        default=False,
        help_text=_("A host lets each guest in."),
    )
    # A Django password hash; empty: guests need no password.
    guest_password = models.CharField(_("guests' password"), max_length=128, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("live room settings")
        verbose_name_plural = _("live room settings")

    def __str__(self) -> str:
        return str(self.room)


class Meeting(models.Model):
    """One live meeting in a room: from its first join until a host ends it or it idles."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="meetings")
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)
    locked = models.BooleanField(_("locked"), default=False)
    ended_by = models.CharField(_("ended by"), max_length=120, blank=True)
    # The scheduled occurrence this meeting belongs to, when scheduling knows one.
    occurrence_ref = models.CharField(_("scheduled session"), max_length=64, blank=True)
    slide_deck = models.ForeignKey(
        "SlideDeck", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    slide_page = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["room", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.room.slug} · {self.started_at:%Y-%m-%d %H:%M}"


class LiveRole(models.TextChoices):
    HOST = "host", _("Host")
    PARTICIPANT = "participant", _("Participant")
    GUEST = "guest", _("Guest")
    # Watches and publishes nothing: a competition's juror during a lesson.
    OBSERVER = "observer", _("Observer")


class ParticipantState(models.TextChoices):
    LOBBY = "lobby", _("Waiting in the lobby")
    JOINED = "joined", _("In the meeting")
    LEFT = "left", _("Left")
    DENIED = "denied", _("Not let in")
    REMOVED = "removed", _("Removed by a host")


class Participant(models.Model):
    """One connection's presence in a meeting; its rows are the meeting's attendance."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    peer = models.CharField(max_length=32, unique=True)
    # "u:<user id>" for people with an account, "g:<key>" for a guest's browser session.
    identity = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="live_participations",
    )
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=12, choices=LiveRole.choices)
    presenter = models.BooleanField(_("presenter"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=ParticipantState.choices)
    channel_name = models.CharField(max_length=200, blank=True)
    # The client address the person joined from: a removed guest's address (with their
    # name) keeps them out of the meeting (signaling/services/joins.py).
    address = models.CharField(_("address"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    joined_at = models.DateTimeField(_("joined"), null=True, blank=True)
    left_at = models.DateTimeField(_("left"), null=True, blank=True)
    seen_at = models.DateTimeField(auto_now_add=True)
    hand_raised_at = models.DateTimeField(null=True, blank=True)
    audio_on = models.BooleanField(default=False)
    video_on = models.BooleanField(default=False)
    screen_on = models.BooleanField(default=False)
    # Listening only (issue 13): this person's page uses no microphone or camera and
    # receives no camera video; the others see why they never speak.
    listen_only = models.BooleanField(default=False)
    # The media worker's word on this person's link: "" (not measured yet), "good",
    # "fair" or "poor" (signaling.domain.link_quality); hosts see who is on a weak link.
    link = models.CharField(max_length=8, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [
            models.Index(fields=["meeting", "state"]),
            models.Index(fields=["meeting", "identity"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_state_display()}"


class ChatMessage(models.Model):
    """A chat line, stored as it is sent."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="chat_messages")
    participant = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    peer = models.CharField(max_length=32)
    name = models.CharField(max_length=120)
    text = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)
    # The jury's own chat (a competition's jurors watching a lesson): only observers read
    # it; the room's chat history, and so the teacher, never sees it.
    jury = models.BooleanField(_("jury only"), default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")

    def __str__(self) -> str:
        return f"{self.name}: {self.text[:40]}"


class Poll(models.Model):
    """A question the host asks, with its options; votes are stored as they come."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="polls")
    question = models.CharField(_("question"), max_length=300)
    multiple = models.BooleanField(_("several answers allowed"), default=False)
    created_by = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("poll")
        verbose_name_plural = _("polls")

    def __str__(self) -> str:
        return self.question


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=120)

    class Meta:
        ordering = ["poll", "position"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="one_option_per_position")
        ]

    def __str__(self) -> str:
        return self.text


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    identity = models.CharField(max_length=64)
    voted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["option", "identity"], name="one_vote_per_option")
        ]
        indexes = [models.Index(fields=["poll", "identity"])]

    def __str__(self) -> str:
        return f"{self.identity} → {self.option}"


def _file_path(instance: SharedFile, filename: str) -> str:
    return f"signaling/files/{instance.meeting_id}/{filename}"


class SharedFile(models.Model):
    """A file a participant shared in a meeting; only its participants may download it."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="files")
    uploaded_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(max_length=120)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120, blank=True)
    file = models.FileField(upload_to=_file_path, max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("shared file")
        verbose_name_plural = _("shared files")

    def __str__(self) -> str:
        return self.name


class SlideDeck(models.Model):
    """A PDF the host presents, rendered to one image per page."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="slide_decks")
    uploaded_by = models.ForeignKey(
        Participant, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(max_length=120)
    title = models.CharField(_("title"), max_length=200)
    page_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("slide deck")
        verbose_name_plural = _("slide decks")

    def __str__(self) -> str:
        return self.title


def _page_path(instance: SlidePage, filename: str) -> str:
    return f"signaling/slides/{instance.deck_id}/{filename}"


class SlidePage(models.Model):
    deck = models.ForeignKey(SlideDeck, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    image = models.FileField(upload_to=_page_path, max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["deck", "number"]
        constraints = [
            models.UniqueConstraint(fields=["deck", "number"], name="one_page_per_number")
        ]

    def __str__(self) -> str:
        return f"{self.deck} · {self.number}"
