"""End to end (issue 3, "Done when"): the Hà Nội manager schedules a weekly briefing for
the semester inviting the province's schools, is refused when it clashes, subscribes to
the feed, moves one Monday (SEQUENCE rises) and cancels another; a school replies; its
readiness shows on the host's page; the attendance report downloads as CSV."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import icalendar
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_foundation import sign_in

pytestmark = pytest.mark.e2e


def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=(7 - today.weekday()) or 7)


def feed_sequence(page: Page) -> tuple[int, Any]:
    body = page.request.get("/calendar/rooms/hanoi.ics").body()
    calendar: Any = icalendar.Calendar.from_ical(body)
    briefings = [
        e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]).startswith("Giao ban chiều")
    ]
    return max(int(e["SEQUENCE"]) for e in briefings), calendar


def schedule(page: Page, start: str, end: str) -> None:
    monday = next_monday()
    page.goto("/hanoi/sessions/new/")
    page.fill("input[name=title]", "Giao ban chiều thứ Hai")
    page.select_option("select[name=kind]", "briefing")
    page.fill("input[name=day]", monday.isoformat())
    page.fill("input[name=start_time]", start)
    page.fill("input[name=end_time]", end)
    page.select_option("select[name=repeat]", "weekly")
    page.fill("input[name=until]", (monday + timedelta(weeks=17)).isoformat())
    page.select_option("select[name=invite_schools]", "all")
    page.locator("main form button[type=submit]").click()


def test_a_semester_of_monday_briefings(page: Page) -> None:
    sign_in(page, "quanly.hanoi", "/hanoi")
    # The demo already holds "Giao ban thứ Hai" at 8:00: overlapping it is refused, clearly.
    schedule(page, "08:30", "10:00")
    expect(page.locator("main .alert-error")).to_contain_text("Giao ban thứ Hai")
    schedule(page, "14:00", "15:30")
    expect(page).to_have_url(re.compile(r"/hanoi/calendar/\?week="))
    expect(page.locator("main")).to_contain_text("Giao ban chiều thứ Hai")

    sequence, _calendar = feed_sequence(page)
    page.locator("main a", has_text="Giao ban chiều thứ Hai").first.click()
    expect(page.locator("main h1")).to_contain_text("Giao ban chiều thứ Hai")
    invited = page.get_by_role("table", name="Các điểm cầu được mời")
    expect(invited).to_contain_text("Trường THPT Trần Phú")
    page.locator("details summary").click()
    page.fill("input[name=start_time]", "15:00")
    page.fill("input[name=end_time]", "16:30")
    page.locator("form[action$='/move/'] button[type=submit]").click()
    expect(page.locator("[role=status], .messages").first).to_be_visible()
    moved_sequence, calendar = feed_sequence(page)
    assert moved_sequence > sequence
    assert any("RECURRENCE-ID" in e for e in calendar.walk("VEVENT"))

    page.goto(f"/hanoi/calendar/?week={(next_monday() + timedelta(weeks=1)).isoformat()}")
    article = page.locator("article", has_text="Giao ban chiều thứ Hai")
    article.locator("button[value=one]").click()
    expect(
        page.locator("article", has_text="Giao ban chiều thứ Hai").locator(".badge-bad")
    ).to_be_visible()
    _, calendar = feed_sequence(page)
    assert any("EXDATE" in e for e in calendar.walk("VEVENT"))

    # The school replies from its own room's page.
    school = page.context.browser.new_context(base_url=page.url.split("/hanoi")[0], locale="vi-VN")  # type: ignore[union-attr]
    other = school.new_page()
    sign_in(other, "c3tranphu-hanoi", "/c3tranphu-hanoi/invitations/")
    card = other.locator("section.card", has_text="Giao ban chiều thứ Hai")
    series = card.locator("form[action$='/reply/']").first
    series.locator("button[value=yes]").click()
    expect(
        other.locator("section.card", has_text="Giao ban chiều thứ Hai").locator(".reply-state")
    ).to_have_text("Sẽ tham dự")
    school.close()

    page.goto("/hanoi/calendar/?week=" + next_monday().isoformat())
    page.locator("main a", has_text="Giao ban chiều thứ Hai").first.click()
    invited = page.get_by_role("table", name="Các điểm cầu được mời")
    row = invited.locator("tr", has_text="Trường THPT Trần Phú")
    expect(row.locator(".badge-ok").first).to_be_visible()  # ready (demo) and will attend
    expect(row).to_contain_text("Sẽ tham dự")
    with page.expect_download() as download:
        page.locator("a[href$='attendance.csv']").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "Trường THPT Trần Phú" in text and "Sẽ tham dự" in text
