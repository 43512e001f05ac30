"""Issue 15, item 9: the yearly usage report (C53 Art. 21) and a meeting's attendance show
server-drawn SVG charts beside tables of the same numbers, and export them as CSV and PDF."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from rooms.models import Room, Unit
from rooms.services.demo import demo_load
from scheduling.models import Occurrence, RuleKind
from scheduling.reports import chart_number, sites_over_time, unit_usage
from scheduling.services.attendance import attendance_record
from scheduling.services.invitations import RuleInput, invitations_set
from scheduling.services.sessions import session_schedule
from tests.charts.pdftext import pdf_text
from tests.clients import as_user
from tests.scheduling.test_sessions import briefing, next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit").get(slug="hanoi")


@pytest.fixture
def meeting(hanoi: Room) -> Occurrence:
    """The first of three weekly briefings (90 minutes): Ba Đình stays an hour from the
    start, Hoàn Kiếm comes 30 minutes late and stays to the end."""
    session = session_schedule(data=briefing(hanoi, next_monday(), weeks=3))
    assert hanoi.unit is not None and hanoi.unit.province is not None
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.DISTRICTS, province=hanoi.unit.province)]
    )
    occurrence = session.occurrences.order_by("start").first()
    assert occurrence is not None
    start = occurrence.start
    for slug, joined, left in (("badinh", 0, 60), ("hoankiem", 30, 90)):
        attendance_record(
            occurrence=occurrence,
            unit=Unit.objects.get(slug=slug),
            joined_at=start + timedelta(minutes=joined),
            left_at=start + timedelta(minutes=left),
        )
    return occurrence


def _svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", page, re.DOTALL)]


def test_sites_present_over_time_counts_who_was_in(meeting: Occurrence) -> None:
    timeline = sites_over_time(meeting)
    assert timeline[0].at == meeting.start and timeline[-1].at == meeting.end
    counts = {int((p.at - meeting.start).total_seconds() // 60): p.sites for p in timeline}
    assert counts[0] == 1 and counts[30] == 2 and counts[60] == 1 and counts[90] == 0
    assert len(timeline) <= 13


def test_the_yearly_report_counts_meetings_and_hours_month_by_month(
    hanoi: Room, meeting: Occurrence
) -> None:
    assert hanoi.unit is not None
    local = timezone.localtime(meeting.start)
    zone = timezone.get_current_timezone()
    start = local.replace(month=1, day=1, hour=0, minute=0)
    end = start.replace(year=start.year + 1)
    usage = unit_usage(hanoi.unit, start.astimezone(zone), end.astimezone(zone))
    assert [m.month for m in usage.months] == list(range(1, 13))
    assert sum(m.meetings for m in usage.months) == usage.meetings
    assert sum(m.hours for m in usage.months) == pytest.approx(usage.hours)


def test_the_yearly_report_page_draws_its_charts_beside_their_tables(
    meeting: Occurrence,
) -> None:
    year = timezone.localtime(meeting.start).year
    page = as_user("quanly.hanoi").get(f"/hanoi/report/?year={year}").content.decode()
    charts = _svgs(page)
    assert len(charts) == 2
    assert all(chart.get("role") == "img" for chart in charts)
    assert "Số buổi họp theo tháng năm" in page and "Tháng 1/" in page
    assert f'href="?year={year}&amp;format=pdf"' in page
    assert "css/charts.css" in page


def test_the_yearly_report_exports_month_rows_as_csv_and_pdf(meeting: Occurrence) -> None:
    year = timezone.localtime(meeting.start).year
    manager = as_user("quanly.hanoi")
    csv_body = manager.get(f"/hanoi/report/?year={year}&format=csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_body)))
    total = next(int(row[3]) for row in rows if row[2] == "Số buổi họp đã tổ chức")
    months = {row[2]: row[3] for row in rows if row[2].startswith("Số buổi họp đã tổ chức · ")}
    assert len(months) == 12 and sum(int(n) for n in months.values()) == total == 4
    month = timezone.localtime(meeting.start).month
    hours = {row[2]: float(row[3]) for row in rows if row[2].startswith("Số giờ · ")}
    assert hours[f"Số giờ · Tháng {month}/{year}"] == 1.5 * int(
        months[f"Số buổi họp đã tổ chức · Tháng {month}/{year}"]
    )
    response = manager.get(f"/hanoi/report/?year={year}&format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"bao-cao-hanoi-{year}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert f"Tình hình sử dụng phòng họp năm {year}" in text
    assert "Thông tư 53" in text and "Tháng 12/" in text


def test_a_meetings_page_draws_sites_over_time_and_each_sites_minutes(
    meeting: Occurrence,
) -> None:
    page = as_user("quanly.hanoi").get(f"/hanoi/occurrences/{meeting.pk}/").content.decode()
    charts = _svgs(page)
    titles = [chart.findtext("{http://www.w3.org/2000/svg}title") for chart in charts]
    assert titles == ["Số điểm cầu có mặt theo thời gian", "Số phút có mặt của từng điểm cầu"]
    assert f"/hanoi/occurrences/{meeting.pk}/attendance.pdf" in page
    minutes = charts[1].findtext("{http://www.w3.org/2000/svg}desc") or ""
    assert "Phòng Giáo dục và Đào tạo quận Ba Đình: 60" in minutes
    assert "Phòng Giáo dục và Đào tạo quận Hoàn Kiếm: 60" in minutes


def test_a_meetings_attendance_pdf_names_every_site_and_its_minutes(
    meeting: Occurrence,
) -> None:
    manager = as_user("quanly.hanoi")
    response = manager.get(f"/hanoi/occurrences/{meeting.pk}/attendance.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Giao ban thứ Hai" in text and "Số điểm cầu có mặt theo thời gian" in text
    assert "Phòng Giáo dục và Đào tạo quận Ba Đình" in text
    assert "2/3 điểm cầu được mời có mặt" in text
    assert (
        as_user("giaovien1").get(f"/hanoi/occurrences/{meeting.pk}/attendance.pdf").status_code
        == 403
    )


def test_a_charts_numbers_follow_the_language() -> None:
    with translation.override("vi"):
        assert chart_number(12.5) == "12,5"
    with translation.override("en"):
        assert chart_number(12.5) == "12.5"
