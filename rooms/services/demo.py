"""Demo data for the embedded default: a few Hà Nội units, rooms, sites and people."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rooms.errors import ProductionRefused
from rooms.models import (
    DeviceTest,
    EquipmentItem,
    ItemStatus,
    MemberRole,
    Room,
    RoomMembership,
    Unit,
)
from rooms.services.accounts import room_allocate, rooms_allocate
from rooms.services.directory import provinces_load, units_import
from rooms.services.sites import site_ensure

DEMO_PASSWORD = "demo"
DEMO_ROOM_SLUG = "demo"

DEMO_UNITS_CSV = """code,kind,level,name,province,parent_code,abbreviation,mailbox
HN-BADINH,district,,Phòng Giáo dục và Đào tạo quận Ba Đình,Hà Nội,,,
HN-HOANKIEM,district,,Phòng Giáo dục và Đào tạo quận Hoàn Kiếm,Hà Nội,,,
HN-CAUGIAY,district,,Phòng Giáo dục và Đào tạo quận Cầu Giấy,Hà Nội,,,
HN-C3TRANPHU,school,C3,Trường THPT Trần Phú,Hà Nội,HN-HOANKIEM,,
HN-C2GIANGVO,school,C2,Trường THCS Giảng Võ,Hà Nội,HN-BADINH,,
HN-C1NGHIATAN,school,C1,Trường Tiểu học Nghĩa Tân,Hà Nội,HN-CAUGIAY,,
HN-TXBADINH,centre,TX,Trung tâm Giáo dục thường xuyên quận Ba Đình,Hà Nội,HN-BADINH,,
"""

# (unit code, {kind: status}) — sites in different states of readiness.
_FULL = {
    "webcam": "working",
    "computer": "working",
    "loudspeaker": "working",
    "microphone": "working",
    "amplifier": "working",
    "mixer": "working",
    "tv": "working",
}
DEMO_CHECKLISTS = {
    "SO01": _FULL,
    "HN-BADINH": {**_FULL, "mixer": "faulty"},
    "HN-HOANKIEM": {**_FULL, "webcam": "missing"},
    "HN-C3TRANPHU": _FULL,
}

DEMO_PEOPLE = (
    # username, first name, last name, e-mail
    ("quanly.hanoi", "Lan", "Nguyễn Thị", "quanly.hanoi@hanoi.edu.vn"),
    ("giaovien1", "Minh", "Trần Văn", "giaovien1@hanoi.edu.vn"),
    ("giaovien2", "Hoa", "Lê Thị", "giaovien2@hanoi.edu.vn"),
)


def _person(username: str, first: str, last: str, email: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": email}
    )
    user.set_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    return user


def _checklist(code: str, statuses: dict[str, str]) -> None:
    site = site_ensure(unit=Unit.objects.get(code=code))
    checked = timezone.localdate() - timedelta(days=3)
    for kind, status in statuses.items():
        EquipmentItem.objects.filter(site=site, kind=kind).update(
            status=status, quantity=2 if kind == "computer" else 1, checked_on=checked
        )
    if not site.device_tests.exists():
        DeviceTest.objects.create(
            site=site,
            camera_ok=statuses["webcam"] == ItemStatus.WORKING,
            microphone_ok=True,
            microphone_peak=0.42,
            speakers_ok=True,
            rtt_ms=38.0,
            download_mbps=24.5,
            user_agent="demo",
        )


@transaction.atomic
def demo_load() -> None:
    """Load the demo directory, rooms, checklists and accounts (refused in production)."""
    if settings.PRODUCTION:
        raise ProductionRefused(_("Demo data is only for the embedded default, not production."))
    provinces_load()
    units_import(text=DEMO_UNITS_CSV)
    # Every demo unit login (user name = the room's address name) signs in with "demo".
    rooms_allocate(password=DEMO_PASSWORD)
    # A school that asked for a room.
    room_allocate(unit=Unit.objects.get(code="HN-C3TRANPHU"), password=DEMO_PASSWORD)
    admin = _person("admin", "Quản trị", "Hệ thống", "admin@moet.edu.vn")
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    manager, teacher1, teacher2 = (_person(*person) for person in DEMO_PEOPLE)
    hanoi = Room.objects.get(slug="hanoi")
    hanoi.manager = manager
    hanoi.save(update_fields=["manager"])
    for teacher in (teacher1, teacher2):
        RoomMembership.objects.get_or_create(
            room=hanoi, user=teacher, defaults={"role": MemberRole.PARTICIPANT}
        )
    for code, statuses in DEMO_CHECKLISTS.items():
        _checklist(code, statuses)
    Room.objects.get_or_create(
        slug=DEMO_ROOM_SLUG,
        defaults={"title": "Phòng họp trải nghiệm", "guest_access": True},
    )
