"""Loading provinces and importing units into the directory."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from rooms.errors import UnitImportError
from rooms.models import Province, Room, Site, Unit, UnitKind
from rooms.services.accounts import rooms_allocate
from rooms.services.directory import provinces_load, units_import

pytestmark = pytest.mark.django_db

HEADER = "code,kind,level,name,province,parent_code,abbreviation,mailbox\n"


def test_loading_34_provinces_gives_34_distinct_rooms() -> None:
    provinces_load()
    rooms_allocate()
    assert Province.objects.count() == 34
    departments = Unit.objects.filter(kind=UnitKind.DEPARTMENT)
    assert departments.count() == 34
    slugs = set(Room.objects.filter(unit__kind=UnitKind.DEPARTMENT).values_list("slug", flat=True))
    assert len(slugs) == 34
    assert {"hanoi", "daklak", "tphcm", "hue", "danang", "cantho", "haiphong"} <= slugs
    hanoi = Room.objects.get(slug="hanoi")
    assert hanoi.address == "https://hop.edu.net.vn/hanoi"
    assert hanoi.unit is not None and hanoi.unit.mailbox == "Giamdoc.SoHaNoi@moet.edu.vn"
    assert Unit.objects.get(slug="tphcm").mailbox == "Giamdoc.SotpHCM@moet.edu.vn"
    assert Site.objects.filter(unit__kind=UnitKind.DEPARTMENT).count() == 34


def test_loading_twice_changes_nothing() -> None:
    first = provinces_load()
    rooms_allocate()
    before = list(Unit.objects.order_by("code").values_list("code", "slug", "mailbox"))
    second = provinces_load()
    assert rooms_allocate() == []
    assert (first.created, second.created, second.updated) == (34, 0, 34)
    assert list(Unit.objects.order_by("code").values_list("code", "slug", "mailbox")) == before


def test_the_room_host_is_a_setting(settings) -> None:
    settings.MEET_ROOM_HOST = "hop.example.vn"
    provinces_load()
    rooms_allocate()
    assert Room.objects.get(slug="hanoi").address == "https://hop.example.vn/hanoi"


def test_import_names_rooms_and_mailboxes_by_the_circular(directory: None) -> None:
    result = units_import(
        text=HEADER
        + "HN-BD,district,,Phòng Giáo dục và Đào tạo quận Ba Đình,Hà Nội,,,\n"
        + "NA-QL,district,,Phòng GD&ĐT huyện Quỳnh Lưu,Nghệ An,,,\n"
        + "HN-TP,school,C3,Trường THPT Trần Phú,hanoi,HN-BD,,\n"
        + "HN-TX,centre,TX,Trung tâm Giáo dục thường xuyên quận Ba Đình,01,HN-BD,,\n"
    )
    assert (result.created, result.updated) == (4, 0)
    got = {u.code: (u.slug, u.mailbox) for u in Unit.objects.filter(code__startswith=("HN-"))}
    assert got == {
        "HN-BD": ("badinh", "pgdbadinh.hanoi@moet.edu.vn"),
        "HN-TP": ("c3tranphu-hanoi", "C3tranphu.hanoi@moet.edu.vn"),
        "HN-TX": ("txbadinh-hanoi", "TXbadinh.hanoi@moet.edu.vn"),
    }
    assert Unit.objects.get(code="NA-QL").slug == "quynhluu"
    assert Unit.objects.get(code="HN-TP").parent == Unit.objects.get(code="HN-BD")
    assert Unit.objects.get(code="NA-QL").parent == Unit.objects.get(code="SO40")


def test_a_district_name_in_two_provinces_takes_the_province(directory: None) -> None:
    units_import(
        text=HEADER
        + "A,district,,Huyện Châu Thành,Tây Ninh,,,\n"
        + "B,district,,Huyện Châu Thành,Đồng Tháp,,,\n"
        + "C,district,,Huyện Quỳnh Lưu,Nghệ An,,,\n"
    )
    slugs = dict(Unit.objects.filter(code__in="ABC").values_list("code", "slug"))
    assert slugs == {"A": "chauthanh-tayninh", "B": "chauthanh-dongthap", "C": "quynhluu"}


def test_a_later_namesake_keeps_existing_addresses_stable(directory: None) -> None:
    units_import(text=HEADER + "A,district,,Huyện Châu Thành,Tây Ninh,,,\n")
    assert Unit.objects.get(code="A").slug == "chauthanh"
    units_import(text=HEADER + "B,district,,Huyện Châu Thành,Đồng Tháp,,,\n")
    assert Unit.objects.get(code="A").slug == "chauthanh"  # printed addresses never move
    assert Unit.objects.get(code="B").slug == "chauthanh-dongthap"


def test_reimport_updates_names_but_not_addresses(directory: None) -> None:
    units_import(text=HEADER + "A,district,,Quận Ba Đình,Hà Nội,,,\n")
    result = units_import(text=HEADER + "A,district,,Quận Ba Đình mới,Hà Nội,,,\n")
    unit = Unit.objects.get(code="A")
    assert (result.created, result.updated) == (0, 1)
    assert (unit.name, unit.slug) == ("Quận Ba Đình mới", "badinh")


def test_reserved_words_are_never_slugs(directory: None) -> None:
    units_import(text=HEADER + "A,district,,Huyện Admin,Hà Nội,,,\n")
    assert Unit.objects.get(code="A").slug == "admin-hanoi"


def test_import_is_all_or_nothing_with_every_error_listed(directory: None) -> None:
    text = (
        HEADER
        + "A,district,,Quận Ba Đình,Hà Nội,,,\n"
        + "B,district,,Quận X,Atlantis,,,\n"
        + "C,school,C3,Trường Y,Hà Nội,NOPE,,\n"
        + "D,school,C3,Trường Z,Hà Nội,A,,\n"
        + "E,district,,Quận Hai,Hà Nội,D,,\n"
        + "F,school,C1,Trường W,Nghệ An,A,,\n"
        + "G,school,C1,Trường,Hà Nội,,,\n"
    )
    with pytest.raises(UnitImportError) as caught:
        units_import(text=text)
    assert [(e.line, e.code) for e in caught.value.errors] == [
        (3, "unknown_province"),
        (4, "unknown_parent"),
        (6, "parent_wrong_kind"),
        (7, "parent_other_province"),
    ]
    assert not Unit.objects.filter(code__in=list("ABCDEFG")).exists()


def test_import_command_reports_lines_in_vietnamese(directory: None, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + "A,school,C9,Trường X,Hà Nội,,,\n", encoding="utf-8")
    stderr = StringIO()
    with pytest.raises(CommandError):
        call_command("import_units", str(path), stderr=stderr)
    assert "Dòng 2" in stderr.getvalue()
    assert not Unit.objects.filter(code="A").exists()


def test_import_command_refuses_non_utf8(directory: None, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes((HEADER + "A,district,,Quận Ba Đình,Hà Nội,,,\n").encode("utf-16"))
    with pytest.raises(CommandError, match="UTF-8"):
        call_command("import_units", str(path))


def test_import_command_accepts_a_spreadsheet_export(directory: None, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    body = HEADER + "A,district,,Quận Ba Đình,Hà Nội,,,\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    call_command("import_units", str(path), stdout=StringIO())
    assert Unit.objects.get(code="A").slug == "badinh"
