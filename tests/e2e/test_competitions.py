"""End to end (issue 15): two remote jurors score a lesson on the sheet in Chromium; the
second sees the first's points only once they have submitted their own."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.competition_setup import competition_at_scoring
from tests.e2e.server import live_var_dir, meet_shell
from tests.e2e.test_foundation import sign_in

pytestmark = pytest.mark.e2e

SCORING = competition_at_scoring("Thi GVDG e2e")


@pytest.fixture(scope="module")
def scoring(live_url: str, server_database: str, tmp_path_factory: pytest.TempPathFactory):
    """A competition of the demo department at its scoring stage, on the live server."""
    return meet_shell(SCORING, database=server_database, var_dir=live_var_dir(tmp_path_factory))


def score(page: Page, values: list[str]) -> None:
    fields = page.locator("main form.score-form input[type=number]")
    expect(fields).to_have_count(4)
    for index, value in enumerate(values):
        fields.nth(index).fill(value)


def test_two_jurors_score_a_lesson(browser, live_url: str, scoring) -> None:
    jury = f"/competitions/{scoring['pk']}/jury/"
    sheet = f"/competitions/{scoring['pk']}/score/{scoring['contestant']}/"
    first = browser.new_context(base_url=live_url, locale="vi-VN").new_page()
    sign_in(first, "giaovien1", jury)
    expect(first.locator("main table")).to_contain_text("Trần Văn Minh")
    first.locator("main a", has_text="Chấm điểm").click()
    expect(first).to_have_url(re.compile(re.escape(sheet) + "$"))
    # Points above the rubric's maximum are refused on the criterion, in Vietnamese.
    score(first, ["6", "4.5", "4.5", "4"])
    first.locator("main button[name=submit]").click()
    expect(first.locator("main .field-error").first).to_contain_text("Tối đa 5 điểm.")
    score(first, ["4.75", "4.5", "4.5", "4"])
    first.locator("main button[name=submit]").click()
    expect(first.locator("main .alert-success").first).to_contain_text("Đã nộp")
    expect(first.locator("main form.score-form")).to_have_count(0)  # locked

    second = browser.new_context(base_url=live_url, locale="vi-VN").new_page()
    sign_in(second, "giaovien2", sheet)
    others = second.locator("main section", has_text="Phiếu chấm của các giám khảo khác")
    expect(others).to_contain_text("bị ẩn cho đến khi bạn nộp phiếu")
    expect(others).not_to_contain_text("4,75")
    score(second, ["4", "4", "4", "4"])
    second.locator("main button[name=submit]").click()
    expect(others).to_contain_text("4,75")

    # The chair reopens the second sheet with a reason; the log shows it.
    first.goto(sheet)
    first.fill("main input[name=reason]", "Nhập nhầm tiêu chí 2")
    first.locator("main button", has_text="Mở lại").click()
    expect(first.locator("main")).to_contain_text("Nhập nhầm tiêu chí 2")
    second.goto(sheet)
    expect(second.locator("main form.score-form")).to_have_count(1)
    first.context.close()
    second.context.close()
