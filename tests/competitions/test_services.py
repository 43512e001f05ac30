"""Competitions from creation to published results, through the services (issue 15)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from competitions.domain.timetable import back_to_back
from competitions.errors import (
    CompetitionError,
    InvalidScores,
    NotReady,
    SlotClash,
    WrongStage,
)
from competitions.models import Competition, Contestant, Reopening, Status
from competitions.selectors import placements_of, results, seats_for, timetable
from competitions.services.registration import ContestantInput, contestant_register
from competitions.services.scoring import sheet_reopen, sheet_save
from competitions.services.setup import (
    registration_close,
    registration_open,
    results_publish,
    scoring_start,
)
from competitions.services.timetable import slot_move, timetable_generate
from rooms.models import Room
from scheduling.errors import ScheduleConflict
from scheduling.models import Session
from scheduling.services.sessions import SessionInput, session_schedule
from tests.competitions.conftest import World, seat_panel

pytestmark = pytest.mark.django_db


def register(
    world: World, competition: Competition, school: str, name: str, subject: str = "Toán", **more
) -> Contestant:
    data = ContestantInput(
        school=world.schools[school],
        subject=competition.subjects.get(name=subject),
        teacher_name=name,
        teacher_email="",
        lesson_title=f"Bài dạy của {name}",
        class_name="10A1",
        documents=more.get("documents", []),
    )
    return contestant_register(competition=competition, data=data, by=world.school_logins[school])


def test_a_new_competition_ships_the_default_rubric(competition: Competition) -> None:
    names = list(competition.criteria.values_list("name", flat=True))
    assert len(names) == 4
    assert sum(c.max_points * c.weight for c in competition.criteria.all()) == 20
    assert set(competition.subjects.values_list("name", flat=True)) == {"Toán", "Ngữ văn"}
    assert competition.status == Status.DRAFT


def test_schools_register_only_their_own_teachers_while_open(
    world: World, competition: Competition
) -> None:
    with pytest.raises(WrongStage):
        register(world, competition, "tranphu", "Trần Văn Minh")
    registration_open(competition=competition)
    contestant = register(world, competition, "tranphu", "Trần Văn Minh")
    assert contestant.school == world.schools["tranphu"]
    data = ContestantInput(
        school=world.schools["giangvo"],
        subject=competition.subjects.get(name="Toán"),
        teacher_name="Lê Thị Hoa",
        teacher_email="",
        lesson_title="Phân số",
        class_name="",
        documents=[],
    )
    with pytest.raises(CompetitionError, match="của trường mình"):
        contestant_register(competition=competition, data=data, by=world.school_logins["tranphu"])
    # A school of another province is outside a provincial department's competition.
    with pytest.raises(CompetitionError):
        register(world, competition, "lequydon", "Nguyễn Đà Nẵng")


def test_documents_are_checked_like_agenda_documents(
    world: World, competition: Competition
) -> None:
    registration_open(competition=competition)
    plan = SimpleUploadedFile("giao-an.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    contestant = register(world, competition, "tranphu", "Trần Văn Minh", documents=[plan])
    assert [d.name for d in contestant.documents.all()] == ["giao-an.pdf"]
    program = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(CompetitionError, match="PDF"):
        register(world, competition, "giangvo", "Lê Thị Hoa", documents=[program])
    assert not Contestant.objects.filter(teacher_name="Lê Thị Hoa").exists()


def _timetabled(world: World, competition: Competition) -> list[Contestant]:
    registration_open(competition=competition)
    people = [
        register(world, competition, "tranphu", "Trần Văn Minh"),
        register(world, competition, "tranphu", "Phạm Thu Trang"),
        register(world, competition, "tranphu", "Đỗ Quốc Bảo"),
        register(world, competition, "giangvo", "Lê Thị Hoa"),
        register(world, competition, "nghiatan", "Vũ Hải Yến"),
        register(world, competition, "giangvo", "Bùi Minh Đức", subject="Ngữ văn"),
    ]
    registration_close(competition=competition)
    generated = timetable_generate(competition=competition)
    assert (generated.placed, generated.unplaced) == (6, 0)
    return people


def test_the_timetable_keeps_rooms_panels_and_the_rooms_meetings_apart(
    world: World, competition: Competition
) -> None:
    # The Ba Đình office has its briefing 7:30-9:00 on the first day.
    start = timezone.make_aware(datetime.combine(competition.first_day, competition.day_start))
    badinh = world.rooms["badinh"]
    assert badinh.unit is not None
    session_schedule(
        data=SessionInput(
            room=badinh,
            host_unit=badinh.unit,
            kind="briefing",
            title="Giao ban",
            description="",
            start=start,
            end=start + timedelta(minutes=90),
            rule=None,
        )
    )
    _timetabled(world, competition)
    slots = timetable(competition=competition)
    assert all(not (s.room == badinh and s.start < start + timedelta(minutes=105)) for s in slots)
    buffer = timedelta(minutes=15)
    for i, a in enumerate(slots):
        for b in slots[i + 1 :]:
            if a.room_id == b.room_id or a.contestant.subject_id == b.contestant.subject_id:
                assert b.start >= a.end + buffer or a.start >= b.end + buffer
    # Trần Phú has three of the six: never two of its lessons in a row in one room.
    schools = {s.contestant_id: s.contestant.school_id for s in slots}
    assert back_to_back(placements_of(slots), schools, buffer) == 0


def test_a_move_that_clashes_is_refused_with_the_reason(
    world: World, competition: Competition
) -> None:
    _timetabled(world, competition)
    slots = timetable(competition=competition)
    maths = [s for s in slots if s.contestant.subject.name == "Toán"]
    first, second = maths[0], maths[1]
    with pytest.raises(SlotClash) as refused:
        slot_move(slot=second, room=first.room, start=first.start + timedelta(minutes=30))
    assert first.contestant.teacher_name in str(refused.value)
    # The second day ends with free rooms and a free mathematics jury.
    later = timezone.make_aware(datetime.combine(competition.last_day, time(10, 30)))
    assert all(s.start.date() < later.date() or s.start < later - timedelta(hours=1) for s in slots)
    free_room = world.rooms["hoankiem"]
    moved = slot_move(slot=second, room=free_room, start=later)
    moved.refresh_from_db()
    assert (moved.room, moved.start, moved.end - moved.start) == (
        free_room,
        later,
        timedelta(minutes=45),
    )
    with pytest.raises(SlotClash, match="không được dùng phòng họp"):
        slot_move(slot=second, room=world.rooms["tranphu"], start=later)


def _scoring(world: World, competition: Competition) -> list[Contestant]:
    people = _timetabled(world, competition)
    with pytest.raises(NotReady, match="Toán"):
        scoring_start(competition=competition)
    seat_panel(world, competition.subjects.get(name="Toán"))
    seat_panel(world, competition.subjects.get(name="Ngữ văn"))
    scoring_start(competition=competition)
    return people


def _points(competition: Competition, *values: str) -> dict[int, Decimal | None]:
    return {
        c.pk: Decimal(v) if v else None
        for c, v in zip(competition.criteria.order_by("position"), values, strict=True)
    }


def test_a_juror_never_scores_their_own_school(world: World, competition: Competition) -> None:
    people = _scoring(world, competition)
    minh = people[0]  # Trần Phú's
    seats = seats_for(viewer=world.jurors["tranphu"], competition=competition)
    assert minh not in [s.contestant for s in seats]
    assert people[3] in [s.contestant for s in seats]
    with pytest.raises(CompetitionError, match="không chấm thí sinh"):
        sheet_save(
            contestant=minh,
            by=world.jurors["tranphu"],
            points=_points(competition, "5", "5", "5", "5"),
            comment="",
            submit=True,
        )


def test_points_outside_the_rubric_are_refused_per_criterion(
    world: World, competition: Competition
) -> None:
    people = _scoring(world, competition)
    with pytest.raises(InvalidScores) as refused:
        sheet_save(
            contestant=people[0],
            by=world.jurors["so"],
            points=_points(competition, "6", "-1", "4.1", ""),
            comment="",
            submit=True,
        )
    assert len(refused.value.problems) == 4
    # A draft may leave a criterion empty.
    sheet = sheet_save(
        contestant=people[0],
        by=world.jurors["so"],
        points=_points(competition, "4", "4", "", ""),
        comment="",
        submit=False,
    )
    assert sheet.submitted_at is None and sheet.scores.count() == 2


def test_the_chair_reopens_with_a_reason_kept_in_the_audit_log(
    world: World, competition: Competition
) -> None:
    people = _scoring(world, competition)
    sheet = sheet_save(
        contestant=people[3],
        by=world.jurors["tranphu"],
        points=_points(competition, "4", "4", "4", "4"),
        comment="",
        submit=True,
    )
    with pytest.raises(WrongStage):
        sheet_save(
            contestant=people[3],
            by=world.jurors["tranphu"],
            points=_points(competition, "5", "5", "5", "5"),
            comment="",
            submit=True,
        )
    with pytest.raises(CompetitionError, match="trưởng ban"):
        sheet_reopen(sheet=sheet, by=world.jurors["badinh"], reason="Nhầm điểm")
    with pytest.raises(CompetitionError):
        sheet_reopen(sheet=sheet, by=world.jurors["so"], reason="   ")
    sheet_reopen(sheet=sheet, by=world.jurors["so"], reason="Giám khảo nhập nhầm tiêu chí 2")
    log = Reopening.objects.get()
    assert (log.by, log.reason, log.submitted_at) == (
        world.jurors["so"],
        "Giám khảo nhập nhầm tiêu chí 2",
        sheet.submitted_at,
    )
    sheet.refresh_from_db()
    assert sheet.submitted_at is None


def test_results_are_ranked_with_ties_and_published_only_when_complete(
    world: World, competition: Competition
) -> None:
    people = _scoring(world, competition)
    marks = {0: "4", 1: "4.5", 2: "4", 3: "3", 4: "5", 5: "4"}
    for index, person in enumerate(people):
        for juror in ("so", "badinh", "tranphu"):
            if juror == "tranphu" and person.school == world.schools["tranphu"]:
                continue
            sheet_save(
                contestant=person,
                by=world.jurors[juror],
                points=_points(competition, *[marks[index]] * 4),
                comment="",
                submit=True,
            )
            if index == 0 and juror == "so":
                with pytest.raises(NotReady):
                    results_publish(competition=competition, by=world.organiser)
    ranking = dict((subject.name, rows) for subject, rows in results(competition=competition))
    maths = [
        (r.contestant.teacher_name, r.place.score, r.place.rank, r.place.tied)
        for r in ranking["Toán"]
    ]
    assert maths == [
        ("Vũ Hải Yến", Decimal("20.00"), 1, False),
        ("Phạm Thu Trang", Decimal("18.00"), 2, False),
        ("Trần Văn Minh", Decimal("16.00"), 3, True),
        ("Đỗ Quốc Bảo", Decimal("16.00"), 3, True),
        ("Lê Thị Hoa", Decimal("12.00"), 5, False),
    ]
    published = results_publish(competition=competition, by=world.organiser)
    assert published.status == Status.PUBLISHED and published.published_at is not None


def test_rooms_outside_the_competition_are_not_used(world: World, competition: Competition) -> None:
    _timetabled(world, competition)
    allowed = set(competition.rooms.values_list("pk", flat=True))
    assert {s.room_id for s in timetable(competition=competition)} <= allowed
    assert Room.objects.exclude(pk__in=allowed).exists()


def test_each_lesson_books_its_room_through_the_scheduler(
    world: World, competition: Competition
) -> None:
    _timetabled(world, competition)
    slots = timetable(competition=competition)
    for slot in slots:
        assert slot.session is not None
        occurrence = slot.session.occurrences.get()
        assert (occurrence.room, occurrence.start, occurrence.end) == (
            slot.room,
            slot.start,
            slot.end,
        )
        assert slot.session.kind == "competition" and not slot.session.public
    # A move moves the booking; the room's other meetings see the lesson where it went.
    moving = slots[-1]
    later = timezone.make_aware(datetime.combine(competition.last_day, time(10, 30)))
    slot_move(slot=moving, room=world.rooms["hoankiem"], start=later)
    moving.refresh_from_db()
    assert moving.session is not None
    booked = moving.session.occurrences.get(cancelled=False)
    assert (booked.room, booked.start) == (world.rooms["hoankiem"], later)
    # Made again, the old bookings are called off and new ones made.
    old = [s.session_id for s in slots]
    timetable_generate(competition=competition)
    assert set(Session.objects.filter(pk__in=old).values_list("cancelled", flat=True)) == {True}
    assert Session.objects.filter(cancelled=False, kind="competition").count() == len(slots)


def test_a_meeting_booked_in_a_room_keeps_lessons_away(
    world: World, competition: Competition
) -> None:
    _timetabled(world, competition)
    first = timetable(competition=competition)[0]
    hoankiem = world.rooms["hoankiem"]
    assert hoankiem.unit is not None
    # The lesson's booking is there: the Hoàn Kiếm office cannot book over it.
    with pytest.raises(ScheduleConflict):
        session_schedule(
            data=SessionInput(
                room=first.room,
                host_unit=hoankiem.unit,
                kind="briefing",
                title="Giao ban",
                description="",
                start=first.start,
                end=first.end,
                rule=None,
            )
        )


def test_scoring_waits_for_every_teacher_to_have_a_lesson(
    world: World, competition: Competition
) -> None:
    registration_open(competition=competition)
    # One room, one morning of four slots, and five mathematics teachers: one is left out.
    competition.rooms.set([world.rooms["badinh"]])
    Competition.objects.filter(pk=competition.pk).update(last_day=competition.first_day)
    for n in range(5):
        register(world, competition, ("tranphu", "giangvo")[n % 2], f"Giáo viên {n}")
    registration_close(competition=competition)
    assert timetable_generate(competition=competition).unplaced == 1
    seat_panel(world, competition.subjects.get(name="Toán"))
    with pytest.raises(NotReady, match="1 giáo viên chưa được xếp"):
        scoring_start(competition=competition)
