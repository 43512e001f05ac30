"""Roster import from the sector database's exports (issue 16, "Done when"): a department
uploads its teachers as xlsx or csv, the preview names the two bad rows, the fixed file
imports, and importing it again updates in place instead of duplicating."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import Workbook  # type: ignore[import-untyped]

from identity.models import RosterUpload, Teacher
from rooms.models import Level, Room, Unit, UnitKind
from rooms.services.accounts import room_manager_assign

pytestmark = pytest.mark.django_db

HEADER = ["Mã định danh", "Họ và tên", "Email", "Mã đơn vị"]
GOOD = [
    ["001190000001", "Nguyễn Văn An", "an.nv@hanoi.edu.vn", "HN-C3TP"],
    ["001190000002", "Trần Thị Bình", "binh.tt@hanoi.edu.vn", "HN-C3TP"],
    ["001190000003", "Lê Minh Châu", "chau.lm@hanoi.edu.vn", "HN-C3TP"],
]


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[object]], delimiter: str = ",") -> bytes:
    lines = [delimiter.join(str(cell) for cell in row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


@pytest.fixture
def department(directory) -> Unit:
    hanoi = Unit.objects.get(kind=UnitKind.DEPARTMENT, slug="hanoi")
    Unit.objects.create(
        code="HN-C3TP",
        kind=UnitKind.SCHOOL,
        level=Level.C3,
        name="Trường THPT Trần Phú",
        province=hanoi.province,
        parent=hanoi,
        slug="c3tranphu-hanoi",
    )
    other = Unit.objects.get(kind=UnitKind.DEPARTMENT, slug="haiphong")
    Unit.objects.create(
        code="HP-C3NT",
        kind=UnitKind.SCHOOL,
        level=Level.C3,
        name="Trường THPT Ngô Quyền",
        province=other.province,
        parent=other,
        slug="c3ngoquyen-haiphong",
    )
    return hanoi


@pytest.fixture
def officer(department: Unit) -> Client:
    """The Hà Nội department's room manager, signed in."""
    room = Room.objects.get_or_create(unit=department, slug=department.slug)[0]
    user = User.objects.create_user("quanly.hanoi", password="x")
    room_manager_assign(room=room, user=user)
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(user)
    return client


def upload(client: Client, data: bytes, name: str):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/hanoi/roster/", {"file": file})


def test_preview_names_the_two_bad_rows_then_the_fixed_file_imports_and_reimports(
    officer: Client,
) -> None:
    flawed = [
        HEADER,
        GOOD[0],
        ["00119000002", "Trần Thị Bình", "binh.tt@hanoi.edu.vn", "HN-C3TP"],  # 11 digits
        GOOD[2][:3] + ["HP-C3NT"],  # a school of another province
    ]
    response = upload(officer, xlsx(flawed), "giaovien.xlsx")
    assert response.status_code == 302
    preview = officer.get(response["Location"])
    text = preview.content.decode()
    assert "2 lỗi cần sửa trong tệp" in text
    assert "Mã định danh “00119000002” không đủ 12 chữ số." in text
    assert "Đơn vị “HP-C3NT” không thuộc sở của bạn." in text
    # The import is refused while a row has a problem: nothing written.
    assert officer.post(response["Location"]).status_code == 200
    assert not Teacher.objects.exists() and not User.objects.filter(email__endswith="edu.vn")

    fixed = upload(officer, xlsx([HEADER, *GOOD]), "giaovien.xlsx")
    assert "3 dòng sẵn sàng để nhập" in officer.get(fixed["Location"]).content.decode()
    imported = officer.post(fixed["Location"], follow=True)
    assert "3 mới" in imported.content.decode()
    assert Teacher.objects.count() == 3
    an = Teacher.objects.get(national_id="001190000001")
    assert (an.user.email, an.user.first_name, an.unit.code) == (
        "an.nv@hanoi.edu.vn",
        "Nguyễn Văn An",
        "HN-C3TP",
    )
    assert not an.user.has_usable_password()

    # Again, from the CSV export with one name corrected: updated in place.
    again = [HEADER, GOOD[0][:1] + ["Nguyễn Văn Ân"] + GOOD[0][2:], GOOD[1], GOOD[2]]
    second = upload(officer, csv_bytes(again, ";"), "giaovien.csv")
    officer.post(second["Location"])
    assert Teacher.objects.count() == 3 and User.objects.filter(teacher__isnull=False).count() == 3
    assert Teacher.objects.get(national_id="001190000001").user.first_name == "Nguyễn Văn Ân"
    assert RosterUpload.objects.filter(committed_at__isnull=False).count() == 2


def test_an_existing_account_with_the_address_becomes_the_teacher(officer: Client) -> None:
    user = User.objects.create_user("an.cu", email="AN.NV@hanoi.edu.vn")
    response = upload(officer, csv_bytes([HEADER, GOOD[0]]), "ds.csv")
    officer.post(response["Location"])
    assert Teacher.objects.get().user == user


def test_an_address_of_another_teacher_is_a_problem(officer: Client) -> None:
    officer.post(upload(officer, csv_bytes([HEADER, GOOD[0]]), "a.csv")["Location"])
    stolen = [HEADER, ["001190000009", "Kẻ Khác", "an.nv@hanoi.edu.vn", "HN-C3TP"]]
    preview = officer.get(upload(officer, csv_bytes(stolen), "b.csv")["Location"])
    assert "thuộc tài khoản của người khác" in preview.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 not really a workbook", "không phải sổ tính Excel"),
        ("Mã định danh,Họ và tên".encode("utf-16"), "không phải sổ tính Excel (.xlsx) hay tệp CSV"),
    ],
)
def test_unreadable_files_are_told_apart(officer: Client, data: bytes, message: str) -> None:
    response = upload(officer, data, "x.xlsx")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not RosterUpload.objects.exists()


def test_a_wrong_header_is_named(officer: Client) -> None:
    rows = [["Mã định danh", "Họ tên", "Email", "Mã đơn vị"], GOOD[0]]
    preview = officer.get(upload(officer, xlsx(rows), "x.xlsx")["Location"])
    text = preview.content.decode()
    assert "Thiếu cột “Họ và tên”." in text and "Cột “Họ tên” không phải cột của danh sách." in text


def test_only_the_departments_officers_may_import(department: Unit) -> None:
    stranger = User.objects.create_user("giaovien", password="x")
    client = Client()
    assert client.get("/hanoi/roster/").status_code == 302  # to the sign-in page
    client.force_login(stranger)
    assert client.get("/hanoi/roster/").status_code == 403
    assert client.get("/c3tranphu-hanoi/roster/").status_code == 404  # not a department


def test_the_department_room_page_links_the_roster(officer: Client) -> None:
    page = officer.get("/hanoi").content.decode()
    assert 'href="/hanoi/roster/"' in page and "Nhập từ cơ sở dữ liệu ngành" in page


def test_the_subjects_column_is_imported_and_kept_by_a_roster_without_it(
    officer: Client,
) -> None:
    """A course takes "every mathematics teacher" from what the roster says they teach."""
    with_subjects = [[*HEADER, "Môn dạy"], [*GOOD[0], "Toán, Tin học"], [*GOOD[1], "Ngữ văn"]]
    response = upload(officer, xlsx(with_subjects), "monday.xlsx")
    assert "Toán, Tin học" in officer.get(response["Location"]).content.decode()
    officer.post(response["Location"])
    an = Teacher.objects.get(national_id=GOOD[0][0])
    assert (an.subjects, an.subject_keys) == ("Toán, Tin học", "|toan|tin hoc|")
    # A later roster without the column changes nothing about the subjects...
    officer.post(upload(officer, csv_bytes([HEADER, GOOD[0]]), "ds.csv")["Location"])
    assert Teacher.objects.get(national_id=GOOD[0][0]).subjects == "Toán, Tin học"
    # ...one with it updates them.
    changed = [[*HEADER, "Môn dạy"], [*GOOD[0], "Toán"]]
    officer.post(upload(officer, csv_bytes(changed), "ds2.csv")["Location"])
    assert Teacher.objects.get(national_id=GOOD[0][0]).subject_keys == "|toan|"
