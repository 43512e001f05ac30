"""Issue 15, item 9: a course's completion by school is a chart beside its table, and a
PDF with the chart, the per-school table and every teacher's row."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from django.test import Client

from tests.charts.pdftext import pdf_text
from tests.courses.conftest import World, attend

SVG = "{http://www.w3.org/2000/svg}"


def _organiser(world: World) -> Client:
    client = Client()
    client.force_login(world.organiser)
    for session in world.sessions:  # Minh completes; Hoa, of the same school, does not
        attend(session.occurrence, world.teachers["minh"], 0, 60)
    return client


def test_completion_by_school_is_a_chart_beside_its_table(world: World) -> None:
    page = _organiser(world).get(f"/courses/{world.course.pk}/completion/").content.decode()
    svgs = [ET.fromstring(s) for s in re.findall(r"<svg .*?</svg>", page, re.DOTALL)]
    assert len(svgs) == 1 and svgs[0].get("role") == "img"
    assert svgs[0].findtext(f"{SVG}title") == "Tỷ lệ hoàn thành theo trường"
    assert "Trường THCS Giảng Võ: 50%" in (svgs[0].findtext(f"{SVG}desc") or "")
    table = page[page.index("</svg>") :]
    assert re.search(r"<th scope=\"row\">Trường THCS Giảng Võ</th><td class=\"num\">2</td>", table)
    assert f"/courses/{world.course.pk}/completion.pdf" in page


def test_completion_exports_as_a_pdf_with_each_school_and_teacher(world: World) -> None:
    response = _organiser(world).get(f"/courses/{world.course.pk}/completion.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"hoan-thanh-{world.course.pk}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Bồi dưỡng Chương trình GDPT 2018 môn Toán" in text
    assert "Tỷ lệ hoàn thành theo trường" in text and "Trường THCS Giảng Võ" in text
    assert "Trần Văn Minh" in text and "Lê Thị Hoa" in text
    assert "1/2 giáo viên đã ghi danh hoàn thành khóa học" in text


def test_nobody_but_the_organiser_gets_the_pdf(world: World) -> None:
    teacher = Client()
    teacher.force_login(world.teachers["minh"])
    assert teacher.get(f"/courses/{world.course.pk}/completion.pdf").status_code in {403, 404}
