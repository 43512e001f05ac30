"""Pages as a person uses them: directory, room page, checklist editing, admin tools."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rooms.models import EquipmentItem, Room, Unit
from rooms.services.demo import demo_load
from tests.clients import as_user as signed_in
from tests.factories import UserFactory  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db: None) -> None:
    demo_load()


def test_directory_lists_provincial_rooms_with_addresses(demo: None) -> None:
    page = Client().get("/?kind=department").content.decode()
    assert page.count("https://hop.edu.net.vn/") == 34
    assert "https://hop.edu.net.vn/hanoi" in page
    assert "https://hop.edu.net.vn/daklak" in page


@pytest.mark.parametrize("query", ["ha noi", "Hà Nội", "HANOI", "hà nội"])
def test_directory_search_ignores_accents(demo: None, query: str) -> None:
    page = Client().get("/", {"q": query, "kind": "department"}).content.decode()
    assert "https://hop.edu.net.vn/hanoi" in page
    assert "https://hop.edu.net.vn/daklak" not in page


def test_room_page_shows_unit_contact_and_sub_rooms(demo: None) -> None:
    page = Client().get("/hanoi").content.decode()
    assert "Sở Giáo dục và Đào tạo Hà Nội" in page
    assert "Giamdoc.SoHaNoi@moet.edu.vn" in page
    assert "quanly.hanoi@hanoi.edu.vn" in page  # the manager's official contact
    assert "https://hop.edu.net.vn/badinh" in page  # rooms of units under Hà Nội
    assert "/hanoi/equipment/" not in page  # the public does not manage


def test_demo_room_admits_guests(demo: None) -> None:
    room = Room.objects.get(slug="demo")
    assert room.guest_access and room.unit is None
    assert Client().get("/demo").status_code == 200


def test_demo_load_is_idempotent(demo: None) -> None:
    counts = (Unit.objects.count(), Room.objects.count(), EquipmentItem.objects.count())
    demo_load()
    assert (Unit.objects.count(), Room.objects.count(), EquipmentItem.objects.count()) == counts


def test_demo_sites_are_in_different_states(demo: None) -> None:
    admin = signed_in("admin")
    sites = {
        s["unit"]: s["readiness"] for s in admin.get("/api/sites/?province=hanoi").json()["results"]
    }
    assert sites["hanoi"]["ready"] is True
    assert sites["badinh"]["ready"] is False  # a faulty mixer
    assert sites["hoankiem"]["ready"] is False  # no camera
    assert sites["caugiay"]["ready"] is False  # never checked


def _formset_data(page: str) -> dict[str, str]:
    """The form's current values, as a browser would submit them."""
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    for name, value in re.findall(
        r'<input[^>]*name="(form-\d+-[a-z_]+)"[^>]*value="([^"]*)"', page
    ):
        data.setdefault(name, value)
    for name, block in re.findall(
        r'<select name="(form-\d+-[a-z_]+)"[^>]*>(.*?)</select>', page, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected', block)
        data[name] = chosen.group(1) if chosen else ""
    return data


def test_manager_edits_the_checklist_and_readiness_changes(demo: None) -> None:
    manager = signed_in("quanly.hanoi")
    page = manager.get("/hanoi/equipment/").content.decode()
    assert "badge-ok" in page
    data = _formset_data(page)
    mixer = next(k for k, v in data.items() if v == "mixer")
    prefix = mixer.rsplit("-", 1)[0]
    data[f"{prefix}-status"] = "faulty"
    response = manager.post("/hanoi/equipment/", data, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "badge-bad" in body
    assert EquipmentItem.objects.get(site__unit__slug="hanoi", kind="mixer").status == "faulty"


def test_checklist_errors_are_shown_and_nothing_is_saved(demo: None) -> None:
    manager = signed_in("quanly.hanoi")
    data = _formset_data(manager.get("/hanoi/equipment/").content.decode())
    webcam = next(k for k, v in data.items() if v == "webcam").rsplit("-", 1)[0]
    data[f"{webcam}-quantity"] = "0"
    data[f"{webcam}-status"] = "working"
    response = manager.post("/hanoi/equipment/", data)
    assert response.status_code == 200
    assert "errors" in response.content.decode()
    assert EquipmentItem.objects.get(site__unit__slug="hanoi", kind="webcam").quantity == 1


def test_manager_cannot_edit_another_site(demo: None) -> None:
    assert signed_in("quanly.hanoi").get("/badinh/equipment/").status_code == 403


def test_admin_imports_units_and_sees_line_errors(demo: None) -> None:
    admin = signed_in("admin")
    bad = SimpleUploadedFile(
        "u.csv", b"code,kind,level,name,province\nX,school,C9,Truong X,hanoi\n"
    )
    page = admin.post("/admin/rooms/unit/import/", {"file": bad}).content.decode()
    assert "C9" in page and not Unit.objects.filter(code="X").exists()
    good = SimpleUploadedFile(
        "u.csv",
        "code,kind,level,name,province\nX,school,C2,Trường THCS Thành Công,hanoi\n".encode(),
    )
    admin.post("/admin/rooms/unit/import/", {"file": good})
    assert Unit.objects.get(code="X").slug == "c2thanhcong-hanoi"


def test_admin_allocates_a_room_on_request_and_sees_the_password_once(demo: None) -> None:
    admin = signed_in("admin")
    school = Unit.objects.get(code="HN-C2GIANGVO")
    page = admin.post(
        "/admin/rooms/unit/",
        {"action": "allocate_rooms", "_selected_action": [school.pk]},
    ).content.decode()
    room = Room.objects.get(unit=school)
    password = re.search(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", page)
    assert password is not None
    assert room.account is not None and room.account.check_password(password.group(1))
    assert (
        password.group(1) not in admin.get(f"/admin/rooms/room/{room.pk}/change/").content.decode()
    )


def test_language_switch_to_english(demo: None) -> None:
    client = Client()
    assert 'lang="vi"' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Online meeting rooms" in page


def test_an_english_browser_still_gets_vietnamese(demo: None) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/").content.decode()
    assert 'lang="vi"' in page
