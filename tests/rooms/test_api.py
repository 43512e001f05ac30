"""The REST API: filters, pagination, checklist edits and self-test results."""

from __future__ import annotations

import pytest
from django.test import Client

from rooms.models import DeviceTest, EquipmentItem, Room
from rooms.services.accounts import rooms_allocate
from rooms.services.directory import units_import
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi_manager(directory: None) -> Client:
    units_import(
        text="code,kind,level,name,province,parent_code\n"
        "HN-BD,district,,Quận Ba Đình,Hà Nội,\n"
        "HN-TP,school,C3,Trường THPT Trần Phú,Hà Nội,HN-BD\n"
    )
    rooms_allocate()
    manager = UserFactory.create()
    Room.objects.filter(slug="hanoi").update(manager=manager)
    client = Client()
    client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_units_filter_by_kind_province_parent_and_accentless_search(hanoi_manager: Client) -> None:
    api = Client()
    assert api.get("/api/units/?kind=department").json()["count"] == 34
    schools = api.get("/api/units/?kind=school&province=hanoi").json()["results"]
    assert [u["slug"] for u in schools] == ["c3tranphu-hanoi"]
    assert schools[0]["parent"] == "HN-BD"
    assert schools[0]["mailbox"] == "C3tranphu.hanoi@moet.edu.vn"
    children = api.get("/api/units/?parent=HN-BD").json()["results"]
    assert [u["code"] for u in children] == ["HN-TP"]
    for query in ("tran phu", "Trần Phú", "tranphu"):
        found = api.get("/api/units/", {"q": query}).json()["results"]
        assert [u["code"] for u in found] == ["HN-TP"], query


def test_units_are_paginated_in_few_queries(
    hanoi_manager: Client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(3):
        page = Client().get("/api/units/").json()
    assert page["count"] == 37  # the ministry, 34 departments, a district and a school
    assert len(page["results"]) == 37
    assert Client().get("/api/units/?page=2").status_code == 404


def test_rooms_list_addresses_and_manager_contact(
    hanoi_manager: Client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(3):
        rooms = Client().get("/api/rooms/?province=hanoi").json()["results"]
    by_slug = {r["slug"]: r for r in rooms}
    assert set(by_slug) == {"hanoi", "badinh"}
    assert by_slug["hanoi"]["address"] == "https://hop.edu.net.vn/hanoi"
    assert by_slug["hanoi"]["official_mailbox"] == "Giamdoc.SoHaNoi@moet.edu.vn"
    assert by_slug["hanoi"]["manager"]["email"].endswith("@hanoi.edu.vn")
    assert by_slug["badinh"]["manager"] is None


def test_editing_equipment_changes_readiness(hanoi_manager: Client) -> None:
    site = hanoi_manager.get("/api/sites/hanoi/").json()
    assert site["readiness"]["ready"] is False
    assert len(site["readiness"]["missing"]) == 7  # a new checklist: everything missing
    for item in site["items"]:
        response = hanoi_manager.patch(
            f"/api/sites/hanoi/equipment/{item['id']}/",
            {"status": "working", "quantity": 1},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["checked_on"] is not None  # saving a line is checking it
    site = hanoi_manager.get("/api/sites/hanoi/").json()
    assert site["readiness"]["ready"] is True
    assert site["readiness"]["summary"] == "Sẵn sàng"


def test_working_items_need_a_quantity(hanoi_manager: Client) -> None:
    response = hanoi_manager.post(
        "/api/sites/hanoi/equipment/",
        {"kind": "webcam", "quantity": 0, "status": "working"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "quantity" in response.json()


def test_removing_an_item(hanoi_manager: Client) -> None:
    item = EquipmentItem.objects.filter(site__unit__slug="hanoi").first()
    assert item is not None
    assert hanoi_manager.delete(f"/api/sites/hanoi/equipment/{item.pk}/").status_code == 204
    assert not EquipmentItem.objects.filter(pk=item.pk).exists()


def test_another_sites_item_is_not_reachable_through_mine(hanoi_manager: Client) -> None:
    other = EquipmentItem.objects.filter(site__unit__slug="badinh").first()
    assert other is not None
    response = hanoi_manager.patch(
        f"/api/sites/hanoi/equipment/{other.pk}/",
        {"status": "working"},
        content_type="application/json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"camera_ok": True, "microphone_ok": True}, "speakers_ok"),
        ({"camera_ok": True, "microphone_ok": True, "speakers_ok": True, "rtt_ms": -1}, "rtt_ms"),
        (
            {"camera_ok": True, "microphone_ok": True, "speakers_ok": True, "microphone_peak": 7},
            "microphone_peak",
        ),
        ({"camera_ok": "sometimes", "microphone_ok": True, "speakers_ok": True}, "camera_ok"),
    ],
)
def test_bad_selftest_results_are_refused_by_field(
    hanoi_manager: Client, body: dict, field: str
) -> None:
    response = hanoi_manager.post(
        "/api/sites/hanoi/device-tests/", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not DeviceTest.objects.exists()


def test_selftest_result_is_stored_and_shown_in_readiness(hanoi_manager: Client) -> None:
    body = {
        "camera_ok": True,
        "microphone_ok": True,
        "microphone_peak": 0.5,
        "speakers_ok": True,
        "rtt_ms": 35.5,
        "download_mbps": 42.0,
        "user_agent": "Mozilla/5.0",
    }
    response = hanoi_manager.post(
        "/api/sites/hanoi/device-tests/", body, content_type="application/json"
    )
    assert response.status_code == 201
    site = hanoi_manager.get("/api/sites/hanoi/").json()
    assert site["readiness"]["last_selftest_at"] is not None
    assert DeviceTest.objects.get().tested_by is not None


def test_download_probe_is_capped(hanoi_manager: Client) -> None:
    assert len(hanoi_manager.get("/api/selftest/download?bytes=1000").content) == 1000
    assert len(hanoi_manager.get("/api/selftest/download?bytes=999999999").content) == 5_000_000
    assert len(hanoi_manager.get("/api/selftest/download?bytes=abc").content) == 2_000_000


def test_schema_documents_the_endpoints() -> None:
    schema = Client().get("/api/schema/?format=json").json()
    for path in ("/api/units/", "/api/rooms/", "/api/sites/", "/api/sites/{slug}/equipment/"):
        assert path in schema["paths"], path
