"""Issue 15, items 5 and 9: a competition's results draw each subject's scores as a chart
above its ranking, and export the charts and the ranking as a PDF."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.test import Client

from competitions.models import Competition
from competitions.services.scoring import sheet_save
from competitions.services.setup import results_publish, scoring_start
from tests.charts.pdftext import pdf_text
from tests.clients import signed_in
from tests.competitions.conftest import World, seat_panel
from tests.competitions.test_pages import _timetabled, url

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def scored(world: World, competition: Competition) -> Competition:
    """Three teachers of Toán scored 4, 4 and 5 on every criterion by every juror who may."""
    people = _timetabled(world, competition)
    seat_panel(world, competition.subjects.get(name="Toán"))
    scoring_start(competition=competition)
    for person, mark in zip(people, ("4", "4", "5"), strict=True):
        for juror in ("so", "badinh", "tranphu"):
            if juror == "tranphu" and person.school == world.schools["tranphu"]:
                continue
            sheet_save(
                contestant=person,
                by=world.jurors[juror],
                points={c.pk: Decimal(mark) for c in competition.criteria.all()},
                comment="",
                submit=True,
            )
    return competition


def test_each_subject_has_a_chart_of_its_scores_above_the_ranking(
    world: World, scored: Competition
) -> None:
    page = signed_in(world.organiser).get(url("results", scored)).content.decode()
    svgs = [ET.fromstring(s) for s in re.findall(r"<svg .*?</svg>", page, re.DOTALL)]
    assert [s.findtext(f"{SVG}title") for s in svgs] == ["Điểm môn Toán"]
    desc = svgs[0].findtext(f"{SVG}desc") or ""
    assert desc.index("1. Vũ Hải Yến") < desc.index("2 (bằng điểm). ")
    assert page.index("</svg>") < page.index("<table")
    assert url("results-pdf", scored) in page and "css/charts.css" in page


def test_the_results_pdf_holds_the_chart_and_the_ranking(world: World, scored: Competition) -> None:
    response = signed_in(world.organiser).get(url("results-pdf", scored))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Vũ Hải Yến" in text and "Trần Văn Minh" in text and "Lê Thị Hoa" in text
    assert "Chưa công bố" in text and "bằng điểm" in text
    assert Client().get(url("results-pdf", scored)).status_code == 404
    results_publish(competition=scored, by=world.organiser)
    public = Client().get(url("results-pdf", scored))
    assert public.status_code == 200 and "Công bố ngày" in pdf_text(public.content)
