"""The organisation directory, its online rooms and the equipment of each meeting site."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UnitKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    DEPARTMENT = "department", _("Provincial department of education and training")
    DISTRICT = "district", _("District office of education and training")
    COMMUNE = "commune", _("Commune-level education office")
    SCHOOL = "school", _("School")
    CENTRE = "centre", _("Education centre")


class Level(models.TextChoices):
    """Level codes of schools and centres (C53 Art. 3.4)."""

    C0 = "C0", _("C0 · Kindergarten")
    C1 = "C1", _("C1 · Primary school")
    C2 = "C2", _("C2 · Lower secondary school")
    C3 = "C3", _("C3 · Upper secondary school")
    C12 = "C12", _("C12 · Primary and lower secondary")
    C23 = "C23", _("C23 · Lower and upper secondary")
    C123 = "C123", _("C123 · All three levels")
    TX = "TX", _("TX · Continuing education centre")
    TH = "TH", _("TH · Computing centre")
    TN = "TN", _("TN · Foreign language centre")
    TNT = "TNT", _("TNT · Foreign language and computing centre")
    TC = "TC", _("TC · Community learning centre")
    TK = "TK", _("TK · Technical and vocational guidance centre")


class Province(models.Model):
    """One of today's provinces or centrally governed cities (vietnam-provinces)."""

    code = models.PositiveSmallIntegerField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A ministry, department, district or commune office, school or centre."""

    code = models.CharField(
        _("code"), max_length=40, unique=True, help_text=_("A stable identifier for imports.")
    )
    kind = models.CharField(pgettext_lazy("unit", "kind"), max_length=20, choices=UnitKind.choices)
    level = models.CharField(_("level"), max_length=4, choices=Level.choices, blank=True)
    name = models.CharField(_("official name"), max_length=255)
    abbreviation = models.CharField(
        _("customary abbreviation"),
        max_length=40,
        blank=True,
        help_text=_("Overrides the name in addresses, e.g. tpHCM."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    province = models.ForeignKey(
        Province,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    mailbox = models.EmailField(_("official mailbox"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["province__name", "kind", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["kind", "province"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind__in=["school", "centre"], level__gt="")
                    | (~models.Q(kind__in=["school", "centre"]) & models.Q(level=""))
                ),
                name="unit_level_only_for_schools_and_centres",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """An online meeting room at https://<MEET_ROOM_HOST>/<slug> (C53 Art. 18.1)."""

    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    unit = models.OneToOneField(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="room",
    )
    title = models.CharField(
        _("title"), max_length=255, blank=True, help_text=_("Only for rooms without a unit.")
    )
    guest_access = models.BooleanField(_("guests may enter without an account"), default=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unit login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unit_room",
    )
    # Art. 18.2: one dedicated officer per room; a OneToOne keeps it to one each way.
    manager = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("room manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_room",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False) | ~models.Q(title=""),
                name="room_has_unit_or_title",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The unit's name, or the title of a room that belongs to no unit."""
        return self.unit.name if self.unit_id and self.unit else self.title

    @property
    def address(self) -> str:
        """The public address of the room."""
        return f"https://{settings.MEET_ROOM_HOST}/{self.slug}"


class MemberRole(models.TextChoices):
    HOST = "host", _("Host")
    PARTICIPANT = "participant", _("Participant")


class RoomMembership(models.Model):
    """A person who hosts or takes part in a room's sessions."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=MemberRole.choices)

    class Meta:
        verbose_name = _("room member")
        verbose_name_plural = _("room members")
        constraints = [
            models.UniqueConstraint(fields=["room", "user"], name="one_membership_per_room"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.room.slug} · {self.get_role_display()}"


class Site(models.Model):
    """A unit's physical meeting room and its equipment (C53 Art. 18.3)."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="site")
    location = models.CharField(
        _("location"), max_length=255, blank=True, help_text=_("Building and room number.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__name"]
        verbose_name = _("meeting site")
        verbose_name_plural = _("meeting sites")

    def __str__(self) -> str:
        return self.unit.name


class Category(models.TextChoices):
    CAMERA = "camera", _("Camera")
    COMPUTER = "computer", _("Computers connected to the Internet")
    AUDIO = "audio", _("Audio")
    DISPLAY = "display", _("Display")


class EquipmentKind(models.TextChoices):
    WEBCAM = "webcam", _("Webcam")
    VIDEO_CAMERA = "video_camera", _("Video camera")
    COMPUTER = "computer", _("Computer")
    LOUDSPEAKER = "loudspeaker", _("Loudspeakers")
    MICROPHONE = "microphone", _("Microphone")
    AMPLIFIER = "amplifier", _("Amplifier")
    MIXER = "mixer", _("Mixer")
    TV = "tv", _("TV screen")
    PROJECTOR = "projector", _("Projector")


class ItemStatus(models.TextChoices):
    WORKING = "working", _("Working")
    FAULTY = "faulty", _("Faulty")
    MISSING = "missing", _("Missing")


class EquipmentItem(models.Model):
    """One line of a site's checklist."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("equipment"), max_length=20, choices=EquipmentKind.choices)
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.WORKING
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    checked_on = models.DateField(_("last checked"), null=True, blank=True)

    class Meta:
        ordering = ["site", "kind", "id"]
        verbose_name = _("equipment item")
        verbose_name_plural = _("equipment items")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class DeviceTest(models.Model):
    """The result of a browser self-test run at a site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="device_tests")
    tested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    camera_ok = models.BooleanField(_("camera works"))
    microphone_ok = models.BooleanField(_("microphone works"))
    microphone_peak = models.FloatField(_("microphone peak level"), default=0.0)
    speakers_ok = models.BooleanField(_("speakers work"))
    rtt_ms = models.FloatField(_("round-trip time (ms)"), null=True, blank=True)
    download_mbps = models.FloatField(_("download rate (Mbit/s)"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=400, blank=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"
        verbose_name = _("device self-test")
        verbose_name_plural = _("device self-tests")

    def __str__(self) -> str:
        return f"{self.site} · {self.created_at:%Y-%m-%d %H:%M}"
