"""Rows of the competition pages (issue 15): who organises, registers, judges, reads.

The district office ``phong`` organises (its manager, unit login and administrators:
``MANAGERS``). Its school ``truong`` registers through its unit login, played here by the
``host`` role. The panel of the one subject seats ``participant`` (from the department,
chair) and ``presenter`` (from the sibling office ``khac``). Each row's ``prepare`` builds
the competition at the stage the row needs, inside the row's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from competitions.models import Competition
from competitions.services.registration import ContestantInput, contestant_register
from competitions.services.scoring import sheet_save
from competitions.services.setup import (
    CompetitionInput,
    competition_create,
    juror_add,
    registration_close,
    registration_open,
    results_publish,
    scoring_start,
)
from competitions.services.timetable import timetable_generate
from rooms.models import Level, Room, Unit, UnitKind
from tests.security.matrix import roles as r
from tests.security.matrix.table import Row, UrlOf, gate, listing
from tests.security.matrix.world import World

E = r.EVERYONE
NAME = "Hội thi ma trận"
TEACHER = "Giáo viên Ma Trận"
JURORS = frozenset({r.PARTICIPANT, r.PRESENTER})
SCHOOL = frozenset({r.HOST})
# Whoever manages a room of an office may organise one (the department, both offices).
OFFICES = frozenset({r.UNIT, r.MANAGER, r.OTHER_MANAGER, r.PARENT_UNIT, r.ADMIN})
STAGES = ("draft", "open", "closed", "timetabled", "scoring", "published")


def _school(world: World) -> Unit:
    office = world.rooms["main"].unit
    assert office is not None
    school = Unit.objects.create(
        code="TRUONG",
        kind=UnitKind.SCHOOL,
        level=Level.C2,
        name="Trường THCS Ma Trận",
        parent=office,
        province=office.province,
        slug="truong",
    )
    Room.objects.create(slug="truong", unit=school, account=world.users[r.HOST])
    return school


def _build(world: World, stage: str) -> None:
    """The competition at ``stage``; its ids in ``world.extra``."""
    office = world.rooms["main"].unit
    assert office is not None
    competition = competition_create(
        data=CompetitionInput(
            organiser=office,
            name=NAME,
            level="district",
            school_level="",
            rounds="",
            first_day=world.day + timedelta(days=1),
            last_day=world.day + timedelta(days=1),
            day_start=time(7, 30),
            day_end=time(11, 30),
            slot_minutes=45,
            buffer_minutes=15,
            aggregation="mean",
            subjects=["Toán"],
            rooms=[world.rooms["other"]],
        ),
        by=world.users[r.MANAGER],
    )
    subject = competition.subjects.get()
    chair = juror_add(
        subject=subject,
        user=world.users[r.PARTICIPANT],
        unit=world.rooms["parent"].unit,  # type: ignore[arg-type]
        chair=True,
    )
    member = juror_add(
        subject=subject,
        user=world.users[r.PRESENTER],
        unit=world.rooms["other"].unit,  # type: ignore[arg-type]
        chair=False,
    )
    world.extra |= {"competition": competition.pk, "juror": member.pk, "chair": chair.pk}
    if STAGES.index(stage) >= STAGES.index("open"):
        _registered(world, competition)
    steps = {
        "closed": lambda: registration_close(competition=competition),
        "timetabled": lambda: timetable_generate(competition=competition),
        "scoring": lambda: scoring_start(competition=competition),
        "published": lambda: _scored_and_published(world, competition),
    }
    for name in STAGES[STAGES.index("closed") : STAGES.index(stage) + 1]:
        if name in steps:
            steps[name]()
    slot = competition.slots.first()
    world.extra["slot"] = slot.pk if slot is not None else 0


def _registered(world: World, competition: Competition) -> None:
    registration_open(competition=competition)
    contestant = contestant_register(
        competition=competition,
        data=ContestantInput(
            school=_school(world),
            subject=competition.subjects.get(),
            teacher_name=TEACHER,
            teacher_email="",
            lesson_title="Phân số",
            class_name="",
            documents=[SimpleUploadedFile("giao-an.pdf", b"%PDF-1.4")],
        ),
        by=world.users[r.HOST],
    )
    world.extra |= {"contestant": contestant.pk, "document": contestant.documents.get().pk}


def _scored_and_published(world: World, competition: Competition) -> None:
    contestant = competition.contestants.get()
    points = {c.pk: Decimal(4) for c in competition.criteria.all()}
    for role in (r.PARTICIPANT, r.PRESENTER):
        sheet = sheet_save(
            contestant=contestant, by=world.users[role], points=points, comment="", submit=True
        )
    world.extra["sheet"] = sheet.pk
    if competition.status != "published":
        results_publish(competition=competition, by=world.users[r.MANAGER])


def _submitted(world: World) -> None:
    """Scoring, the presenter's sheet submitted (the chair may reopen it)."""
    _build(world, "scoring")
    competition = Competition.objects.get(pk=world.extra["competition"])
    sheet = sheet_save(
        contestant=competition.contestants.get(),
        by=world.users[r.PRESENTER],
        points={c.pk: Decimal(4) for c in competition.criteria.all()},
        comment="",
        submit=True,
    )
    world.extra["sheet"] = sheet.pk


def at(stage: str) -> Callable[[World], None]:
    """A ``prepare`` that builds the competition at ``stage``."""
    return lambda world: _build(world, stage)


def page(tail: str = "") -> UrlOf:
    return lambda w: f"/competitions/{w.extra['competition']}/{tail}"


def _juror_remove(w: World) -> str:
    return f"/competitions/{w.extra['competition']}/panels/{w.extra['juror']}/remove/"


ORGANISERS = r.MANAGERS
SIGNED = r.SIGNED_IN

ROWS: list[Row] = [
    listing(
        "competitions:list",
        lambda w: "/competitions/",
        NAME,
        ORGANISERS,
        state="a draft",
        prepare=at("draft"),
    ),
    listing(
        "competitions:list",
        lambda w: "/competitions/",
        NAME,
        SIGNED,
        state="registration open",
        prepare=at("open"),
    ),
    gate("competitions:new", lambda w: "/competitions/new/", OFFICES),
    gate("competitions:detail", page(), ORGANISERS, state="draft", prepare=at("draft")),
    gate("competitions:detail", page(), SIGNED, state="open", prepare=at("open")),
    gate("competitions:detail", page(), E, state="published", prepare=at("published")),
    gate("competitions:edit", page("edit/"), ORGANISERS, state="draft", prepare=at("draft")),
    gate("competitions:rubric", page("rubric/"), ORGANISERS, state="draft", prepare=at("draft")),
    gate(
        "competitions:step",
        page("steps/open/"),
        ORGANISERS,
        method="post",
        state="draft",
        prepare=at("draft"),
    ),
    gate(
        "competitions:step",
        page("steps/publish/"),
        ORGANISERS,
        method="post",
        state="scoring",
        prepare=at("scoring"),
    ),
    gate("competitions:panels", page("panels/"), ORGANISERS, state="open", prepare=at("open")),
    gate(
        "competitions:juror-remove",
        _juror_remove,
        ORGANISERS,
        method="post",
        state="open",
        prepare=at("open"),
    ),
    gate(
        "competitions:register",
        page("register/"),
        ORGANISERS | SCHOOL,
        state="open",
        prepare=at("open"),
    ),
    listing(
        "competitions:contestants",
        page("contestants/"),
        TEACHER,
        ORGANISERS | SCHOOL | JURORS,
        state="open",
        refused=r.NOT_SIGNED_IN,
        prepare=at("open"),
    ),
    gate(
        "competitions:withdraw",
        lambda w: (
            f"/competitions/{w.extra['competition']}/contestants/{w.extra['contestant']}/withdraw/"
        ),
        ORGANISERS | SCHOOL,
        method="post",
        state="open",
        prepare=at("open"),
    ),
    gate(
        "competitions:document",
        lambda w: f"/competitions/{w.extra['competition']}/documents/{w.extra['document']}/",
        ORGANISERS | SCHOOL | JURORS,
        state="open",
        prepare=at("open"),
    ),
    gate(
        "competitions:timetable",
        page("timetable/"),
        SIGNED,
        state="timetabled",
        prepare=at("timetabled"),
    ),
    gate(
        "competitions:timetable-make",
        page("timetable/make/"),
        ORGANISERS,
        method="post",
        state="closed",
        prepare=at("closed"),
    ),
    gate(
        "competitions:slot-move",
        lambda w: f"/competitions/{w.extra['competition']}/slots/{w.extra['slot']}/move/",
        ORGANISERS,
        state="timetabled",
        prepare=at("timetabled"),
    ),
    gate("competitions:jury", page("jury/"), JURORS, state="scoring", prepare=at("scoring")),
    gate(
        "competitions:score",
        lambda w: f"/competitions/{w.extra['competition']}/score/{w.extra['contestant']}/",
        JURORS,
        state="scoring",
        prepare=at("scoring"),
    ),
    gate(
        "competitions:reopen",
        lambda w: f"/competitions/{w.extra['competition']}/sheets/{w.extra['sheet']}/reopen/",
        frozenset({r.PARTICIPANT}),
        method="post",
        state="a submitted sheet",
        prepare=_submitted,
        data=lambda w: {"reason": "Nhập nhầm"},
    ),
    gate(
        "competitions:results", page("results/"), ORGANISERS, state="scoring", prepare=at("scoring")
    ),
    gate("competitions:results", page("results/"), E, state="published", prepare=at("published")),
    gate(
        "competitions:results-csv",
        page("results.csv"),
        ORGANISERS,
        state="scoring",
        prepare=at("scoring"),
    ),
    gate(
        "competitions:results-csv",
        page("results.csv"),
        E,
        state="published",
        prepare=at("published"),
    ),
    gate(
        "competitions:results-pdf",
        page("results.pdf"),
        ORGANISERS,
        state="scoring",
        prepare=at("scoring"),
    ),
    gate(
        "competitions:results-pdf",
        page("results.pdf"),
        E,
        state="published",
        prepare=at("published"),
    ),
]
