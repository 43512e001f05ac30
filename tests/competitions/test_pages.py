"""The competition pages as anonymous people, strangers, schools, jurors and organisers
(issue 15)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from competitions.models import Competition, Contestant, Reopening, ScoreSheet, Status
from competitions.services.scoring import sheet_save
from competitions.services.setup import registration_close, registration_open, scoring_start
from competitions.services.timetable import timetable_generate
from tests.clients import signed_in
from tests.competitions.conftest import World, seat_panel
from tests.competitions.test_services import register

pytestmark = pytest.mark.django_db


def url(name: str, competition: Competition, *more: object) -> str:
    return reverse(f"competitions:{name}", args=[competition.pk, *more])


def test_a_draft_is_the_organisers_alone(world: World, competition: Competition) -> None:
    assert Client().get(url("detail", competition)).status_code == 404
    assert signed_in(world.stranger).get(url("detail", competition)).status_code == 404
    page = signed_in(world.organiser).get(url("detail", competition))
    assert page.status_code == 200
    # Vietnamese first: the stage and the default rubric in the teachers' language.
    assert "Bản nháp" in page.text and "Chuẩn bị bài dạy" in page.text
    listing = Client().get(reverse("competitions:list"))
    assert competition.name not in listing.text


def test_the_organiser_creates_a_competition_from_the_form(world: World) -> None:
    organiser = signed_in(world.organiser)
    form = organiser.get(reverse("competitions:new"))
    assert form.status_code == 200 and "hoankiem" in form.text
    data = {
        "organiser": world.department.pk,
        "name": "Thi giáo viên dạy giỏi Tiểu học",
        "level": "province",
        "school_level": "C1",
        "subjects": "Toán\nTiếng Việt\n\nToán",
        "rounds": "",
        "first_day": "2027-03-01",
        "last_day": "2027-02-27",
        "day_start": "07:30",
        "day_end": "11:30",
        "slot_minutes": "40",
        "buffer_minutes": "10",
        "rooms": [world.rooms["badinh"].pk],
        "aggregation": "trimmed",
    }
    refused = organiser.post(reverse("competitions:new"), data)
    assert refused.status_code == 200
    assert "Ngày cuối không được trước ngày đầu." in refused.text
    data["last_day"] = "2027-03-02"
    made = organiser.post(reverse("competitions:new"), data)
    competition = Competition.objects.get(name="Thi giáo viên dạy giỏi Tiểu học")
    assert made.status_code == 302 and made["Location"] == url("detail", competition)
    assert sorted(competition.subjects.values_list("name", flat=True)) == ["Tiếng Việt", "Toán"]
    assert competition.criteria.count() == 4


def test_nobody_but_an_office_creates_a_competition(world: World) -> None:
    assert Client().get(reverse("competitions:new")).status_code == 302  # to sign in
    assert signed_in(world.stranger).get(reverse("competitions:new")).status_code == 403
    school = signed_in(world.school_logins["tranphu"])
    assert school.get(reverse("competitions:new")).status_code == 403


def test_the_organiser_edits_the_rubric(world: World, competition: Competition) -> None:
    organiser = signed_in(world.organiser)
    lines = list(competition.criteria.order_by("position"))
    data: dict[str, object] = {"form-TOTAL_FORMS": "5", "form-INITIAL_FORMS": "4"}
    for i, c in enumerate(lines):
        data |= {
            f"form-{i}-pk": c.pk,
            f"form-{i}-name": c.name,
            f"form-{i}-description": c.description,
            f"form-{i}-weight": "2" if i == 1 else "1",
            f"form-{i}-max_points": "5",
        }
    data |= {"form-3-remove": "on"}
    data |= {"form-4-name": "Sử dụng công nghệ", "form-4-weight": "1", "form-4-max_points": "3"}
    assert signed_in(world.stranger).post(url("rubric", competition), data).status_code == 404
    answer = organiser.post(url("rubric", competition), data)
    assert answer.status_code == 302
    names = list(competition.criteria.order_by("position").values_list("name", "weight"))
    assert names[-1] == ("Sử dụng công nghệ", Decimal("1.00")) and len(names) == 4
    assert names[1][1] == Decimal("2.00")
    data["form-0-max_points"] = "-3"
    refused = organiser.post(url("rubric", competition), data)
    assert refused.status_code == 200 and "field-error" in refused.text


def test_a_school_registers_its_own_teacher_with_a_lesson_plan(
    world: World, competition: Competition
) -> None:
    school = signed_in(world.school_logins["tranphu"])
    assert school.get(url("register", competition)).status_code == 404  # a draft, unseen
    registration_open(competition=competition)
    assert signed_in(world.stranger).get(url("register", competition)).status_code == 403
    page = school.get(url("register", competition))
    assert page.status_code == 200 and "Trường THPT Trần Phú" in page.text
    assert "Trường THCS Giảng Võ" not in page.text
    toan = competition.subjects.get(name="Toán")
    data = {
        "school": world.schools["tranphu"].pk,
        "subject": toan.pk,
        "teacher_name": "Trần Văn Minh",
        "teacher_email": "minh@tranphu.edu.vn",
        "lesson_title": "Hàm số bậc hai",
        "class_name": "10A1",
        "documents": [SimpleUploadedFile("giao-an.docx", b"PK\x03\x04...")],
    }
    assert school.post(url("register", competition), data).status_code == 302
    contestant = Contestant.objects.get()
    assert contestant.documents.get().name == "giao-an.docx"
    # Another school's teacher: refused by the form, with the reason.
    data |= {"school": world.schools["giangvo"].pk, "teacher_name": "Lê Thị Hoa"}
    refused = school.post(url("register", competition), data)
    assert refused.status_code == 200 and Contestant.objects.count() == 1
    # The document is the organiser's, the school's and the jury's, nobody else's.
    document = url("document", competition, contestant.documents.get().pk)
    assert school.get(document).status_code == 200
    assert signed_in(world.organiser).get(document).status_code == 200
    assert signed_in(world.school_logins["giangvo"]).get(document).status_code == 404
    assert signed_in(world.stranger).get(document).status_code == 404


def _timetabled(world: World, competition: Competition) -> list[Contestant]:
    registration_open(competition=competition)
    people = [
        register(world, competition, "tranphu", "Trần Văn Minh"),
        register(world, competition, "giangvo", "Lê Thị Hoa"),
        register(world, competition, "nghiatan", "Vũ Hải Yến"),
    ]
    registration_close(competition=competition)
    timetable_generate(competition=competition)
    return people


def test_the_timetable_is_made_read_and_a_clashing_move_refused(
    world: World, competition: Competition
) -> None:
    registration_open(competition=competition)
    for name, school in (("Trần Văn Minh", "tranphu"), ("Lê Thị Hoa", "giangvo")):
        register(world, competition, school, name)
    organiser = signed_in(world.organiser)
    organiser.post(url("step", competition, "close"))
    assert signed_in(world.stranger).post(url("timetable-make", competition)).status_code == 403
    made = organiser.post(url("timetable-make", competition), follow=True)
    assert "2 tiết dạy đã được xếp." in made.text, re.findall(r"alert[^>]*>([^<]*)", made.text)
    page = signed_in(world.school_logins["giangvo"]).get(url("timetable", competition))
    assert page.status_code == 200
    assert "Trần Văn Minh" in page.text and "Lê Thị Hoa" in page.text
    assert "In" in page.text and "js/competitions/print.js" in page.text
    assert Client().get(url("timetable", competition)).status_code == 302
    first, second = competition.slots.order_by("start")
    start = second.start
    local = timezone.localtime(first.start)
    move = {
        "room": first.room_id,
        "day": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
    }
    refused = organiser.post(url("slot-move", competition, second.pk), move)
    assert refused.status_code == 200
    assert "Không chuyển ca dạy sang đó được." in refused.text
    assert "Trần Văn Minh" in refused.text  # whose lesson it clashes with
    second.refresh_from_db()
    assert second.start == start
    assert (
        signed_in(world.school_logins["tranphu"]).post(
            url("slot-move", competition, second.pk), move
        )
    ).status_code == 403


def test_jurors_score_hidden_from_each_other_until_they_submit(
    world: World, competition: Competition
) -> None:
    minh, hoa, _yen = _timetabled(world, competition)
    seat_panel(world, competition.subjects.get(name="Toán"))
    seat_panel(world, competition.subjects.get(name="Ngữ văn"))
    signed_in(world.organiser).post(url("step", competition, "scoring"))
    competition.refresh_from_db()
    assert competition.status == Status.SCORING
    # Conflict of interest: Trần Phú's juror does not see Trần Phú's teacher.
    tranphu = signed_in(world.jurors["tranphu"])
    listing = tranphu.get(url("jury", competition))
    assert "Lê Thị Hoa" in listing.text and "Trần Văn Minh" not in listing.text
    assert tranphu.get(url("score", competition, minh.pk)).status_code == 403
    assert signed_in(world.stranger).get(url("score", competition, hoa.pk)).status_code == 403
    assert signed_in(world.stranger).get(url("jury", competition)).status_code == 403
    criteria = list(competition.criteria.order_by("position"))
    badinh = signed_in(world.jurors["badinh"])
    sheet = {f"c{c.pk}": "4.75" for c in criteria} | {"comment": "Tiết dạy tốt", "submit": "1"}
    assert badinh.post(url("score", competition, hoa.pk), sheet).status_code == 302
    # The department's juror has not submitted: the 4.75s are hidden from them.
    so = signed_in(world.jurors["so"])
    page = so.get(url("score", competition, hoa.pk))
    assert "4,75" not in page.text and "bị ẩn cho đến khi bạn nộp phiếu" in page.text
    bad = {f"c{c.pk}": "7" for c in criteria} | {"submit": "1"}
    refused = so.post(url("score", competition, hoa.pk), bad)
    assert refused.status_code == 200 and "Tối đa 5 điểm." in refused.text
    draft = {f"c{c.pk}": "4" for c in criteria[:2]}
    assert so.post(url("score", competition, hoa.pk), draft | {"draft": "1"}).status_code == 302
    assert "4,75" not in so.get(url("score", competition, hoa.pk)).text
    done = {f"c{c.pk}": "4" for c in criteria} | {"submit": "1"}
    assert so.post(url("score", competition, hoa.pk), done).status_code == 302
    assert "4,75" in so.get(url("score", competition, hoa.pk)).text  # Vietnamese decimal comma


def test_the_chair_reopens_a_sheet_with_a_reason(world: World, competition: Competition) -> None:
    _minh, hoa, _yen = _timetabled(world, competition)
    seat_panel(world, competition.subjects.get(name="Toán"))
    seat_panel(world, competition.subjects.get(name="Ngữ văn"))
    scoring_start(competition=competition)
    points = {c.pk: Decimal(4) for c in competition.criteria.all()}
    sheet = sheet_save(
        contestant=hoa, by=world.jurors["badinh"], points=points, comment="", submit=True
    )
    reopen = url("reopen", competition, sheet.pk)
    signed_in(world.jurors["tranphu"]).post(reopen, {"reason": "Tôi muốn sửa"})
    assert not Reopening.objects.exists()
    answer = signed_in(world.jurors["so"]).post(
        reopen, {"reason": "Nhập nhầm điểm tiêu chí 3"}, follow=True
    )
    assert answer.status_code == 200
    log = Reopening.objects.get()
    assert log.reason == "Nhập nhầm điểm tiêu chí 3" and log.by == world.jurors["so"]
    assert ScoreSheet.objects.get(pk=sheet.pk).submitted_at is None


def test_results_are_published_only_when_the_organiser_approves(
    world: World, competition: Competition
) -> None:
    people = _timetabled(world, competition)
    seat_panel(world, competition.subjects.get(name="Toán"))
    scoring_start(competition=competition)
    results = url("results", competition)
    assert Client().get(results).status_code == 404
    assert signed_in(world.jurors["so"]).get(results).status_code == 404
    organiser = signed_in(world.organiser)
    refused = organiser.post(url("step", competition, "publish"), follow=True)
    assert "chưa nộp" in refused.text
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
    preview = organiser.get(results)
    assert "Chưa công bố" in preview.text
    assert signed_in(world.stranger).post(url("step", competition, "publish")).status_code == 403
    organiser.post(url("step", competition, "publish"))
    public = Client().get(results)
    assert public.status_code == 200
    assert "Vũ Hải Yến" in public.text and "bằng điểm" in public.text
    csv = Client().get(url("results-csv", competition))
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Môn thi,Xếp hạng")
    assert lines[1].startswith("Toán,1,,Vũ Hải Yến")
    assert lines[2].startswith("Toán,2,có,") and lines[3].startswith("Toán,2,có,")
