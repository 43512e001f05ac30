"""End to end, as a new user would try it (issue 2, "Done when"): the 34 provincial rooms,
the Hà Nội manager editing the site's equipment and seeing readiness change in Vietnamese
and English, on a phone too, and the browser self-test of a site."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def sign_in(page: Page, username: str, next_path: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def set_status(page: Page, kind: str, status: str) -> None:
    """Change the status of the checklist line of one kind, and save."""
    item = page.locator("fieldset.equipment-item").filter(
        has=page.locator(f"select[name$='-kind'] option[value='{kind}'][selected]")
    )
    item.locator("select[name$='-status']").select_option(status)
    page.locator("main form button[type=submit]").click()


def test_the_34_provincial_rooms_are_listed_with_their_addresses(page: Page) -> None:
    page.goto("/?kind=department")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(34)
    expect(page.get_by_text("https://hop.edu.net.vn/hanoi", exact=True)).to_be_visible()
    expect(page.get_by_text("https://hop.edu.net.vn/daklak", exact=True)).to_be_visible()


def test_manager_edits_equipment_and_readiness_follows_in_both_languages(page: Page) -> None:
    sign_in(page, "quanly.hanoi", "/hanoi")
    page.locator("a[href='/hanoi/equipment/']").first.click()
    badge = page.locator("#readiness .badge")
    expect(badge).to_have_text("Sẵn sàng")

    set_status(page, "mixer", "faulty")
    expect(badge).to_have_text("Chưa sẵn sàng")
    expect(page.locator("#readiness")).to_contain_text("bộ trộn âm thanh")

    page.locator("button[name=language][value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(badge).to_have_text("Not ready")
    expect(page.locator("#readiness")).to_contain_text("a mixer")

    set_status(page, "mixer", "working")
    expect(badge).to_have_text("Ready")
    page.locator("button[name=language][value=vi]").click()
    expect(badge).to_have_text("Sẵn sàng")


def _fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_a_phone_shows_every_page_without_sideways_scrolling(phone: Page) -> None:
    for path in ("/", "/hanoi", "/accounts/login/"):
        phone.goto(path)
        assert _fits_the_screen(phone), path
    sign_in(phone, "quanly.hanoi", "/hanoi/equipment/")
    for path in ("/hanoi/equipment/", "/hanoi/selftest/", "/sites/"):
        phone.goto(path)
        assert _fits_the_screen(phone), path
    phone.goto("/hanoi/equipment/")
    set_status(phone, "webcam", "missing")
    expect(phone.locator("#readiness .badge")).to_have_text("Chưa sẵn sàng")
    set_status(phone, "webcam", "working")
    expect(phone.locator("#readiness .badge")).to_have_text("Sẵn sàng")


def test_the_browser_self_test_checks_devices_and_stores_the_result(page: Page) -> None:
    sign_in(page, "hanoi", "/hanoi/selftest/")
    before = page.request.get("/api/sites/hanoi/device-tests/").json()["count"]
    page.locator("[data-action='run-all']").click()
    page.locator("[data-check='speakers'] [data-answer='yes']").click(timeout=30_000)
    for check in ("camera", "microphone", "speakers", "connection"):
        expect(page.locator(f"[data-check='{check}'] [data-role='badge']")).to_have_class(
            re.compile("badge-ok"), timeout=60_000
        )
    with page.expect_response(
        lambda r: "device-tests" in r.url and r.request.method == "POST"
    ) as saved:
        page.locator("[data-action='save']").click()
    assert saved.value.status == 201
    expect(page.locator("[data-role='save-status']")).not_to_be_empty()
    tests = page.request.get("/api/sites/hanoi/device-tests/").json()
    assert tests["count"] == before + 1
    newest = tests["results"][0]
    assert newest["camera_ok"] and newest["microphone_ok"] and newest["speakers_ok"]
    assert newest["rtt_ms"] is not None and newest["download_mbps"] > 0


def test_repeated_wrong_passwords_lock_the_account(page: Page) -> None:
    # A name no other test signs in with: the lock lasts 15 minutes.
    for _ in range(5):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "thu.khoa")
        page.fill("input[name=password]", "sai-mat-khau")
        page.locator("main form button[type=submit]").click()
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "thu.khoa")
    page.fill("input[name=password]", "demo")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main h1")).to_have_text("Đăng nhập tạm thời bị khóa")
    expect(page).to_have_url(re.compile("/accounts/login/$"))  # not signed in
