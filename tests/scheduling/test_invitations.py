"""Invitations across the organisation, iTIP e-mails, replies, readiness, attendance, reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from rooms.models import Province, Room, Unit
from rooms.services.demo import demo_load
from rooms.services.directory import units_import
from scheduling.models import Invitation, Reply, RuleKind
from scheduling.reports import csv_text, safe_cell
from scheduling.services.attendance import attendance_record
from scheduling.services.invitations import (
    RuleInput,
    invitations_queue,
    invitations_resolve_all,
    invitations_set,
)
from scheduling.services.sessions import occurrence_change, session_cancel, session_schedule
from tests.clients import as_user
from tests.scheduling.mailqueue import itip, run_mail_queue
from tests.scheduling.test_sessions import briefing, briefing_form, next_monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanoi(db: None) -> Room:
    demo_load()
    return Room.objects.select_related("unit", "unit__province").get(slug="hanoi")


def province(room: Room) -> Province:
    assert room.unit is not None and room.unit.province is not None
    return room.unit.province


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("districts", {"badinh", "hoankiem", "caugiay"}),
        ("schools_all", {"c3tranphu-hanoi", "c2giangvo-hanoi", "c1nghiatan-hanoi"}),
        ("schools_c3", {"c3tranphu-hanoi"}),
        (
            "under",
            {
                "badinh",
                "hoankiem",
                "caugiay",
                "c3tranphu-hanoi",
                "c2giangvo-hanoi",
                "c1nghiatan-hanoi",
                "txbadinh-hanoi",
            },
        ),
    ],
)
def test_rules_invite_the_right_units(hanoi: Room, rule: str, expected: set[str]) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    rules = {
        "districts": RuleInput(RuleKind.DISTRICTS, province=province(hanoi)),
        "schools_all": RuleInput(RuleKind.SCHOOLS, province=province(hanoi)),
        "schools_c3": RuleInput(RuleKind.SCHOOLS, province=province(hanoi), level="C3"),
        "under": RuleInput(RuleKind.UNDER, unit=hanoi.unit),
    }
    invitations_set(session=session, rules=[rules[rule]])
    assert set(session.invitations.values_list("unit__slug", flat=True)) == expected


def test_rules_follow_the_directory(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.SCHOOLS, province=province(hanoi), level="C3")]
    )
    units_import(
        text="code,kind,level,name,province\nHN-C3X,school,C3,Trường THPT Chu Văn An,Hà Nội\n"
    )
    invitations_resolve_all()
    assert "c3chuvanan-hanoi" in set(session.invitations.values_list("unit__slug", flat=True))


@pytest.mark.django_db(transaction=True)
def test_invitations_are_mailed_with_itip_and_changes_bump_sequence(
    hanoi: Room, mailoutbox: list[Any]
) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.DISTRICTS, province=province(hanoi))]
    )
    assert invitations_queue(session=session) == 3
    assert mailoutbox == []  # queued, not sent in the caller's transaction
    run_mail_queue()
    badinh = next(m for m in mailoutbox if "pgdbadinh.hanoi@moet.edu.vn" in m.to)
    method, calendar = itip(badinh)
    assert method == "REQUEST" and str(calendar["METHOD"]) == "REQUEST"
    assert calendar.walk("VEVENT")[0]["SEQUENCE"] == 0
    assert "/badinh/invitations/" in badinh.body  # RSVP happens on the invitation page
    assert invitations_queue(session=session) == 0  # nothing new to say
    second = session.occurrences.order_by("start")[1]
    occurrence_change(  # queues the update when it commits
        occurrence=second,
        start=second.start + timedelta(hours=1),
        end=second.end + timedelta(hours=1),
    )
    run_mail_queue()
    assert len(mailoutbox) == 6
    _method, update = itip(mailoutbox[-1])
    assert max(e["SEQUENCE"] for e in update.walk("VEVENT")) == 1
    session_cancel(session=session)
    run_mail_queue()
    assert len(mailoutbox) == 9
    method, cancel = itip(mailoutbox[-1])
    assert method == "CANCEL" and str(cancel["METHOD"]) == "CANCEL"


@pytest.mark.django_db(transaction=True)
def test_the_managers_address_is_mailed_too(hanoi: Room, mailoutbox: list[Any]) -> None:
    badinh_room = Room.objects.get(slug="badinh")
    badinh_room.manager = User.objects.create_user("quanly.badinh", email="quanly@badinh.edu.vn")
    badinh_room.save()
    session = session_schedule(data=briefing(hanoi, next_monday()))
    invitations_set(session=session, rules=[RuleInput(RuleKind.UNIT, unit=badinh_room.unit)])
    invitations_queue(session=session)
    run_mail_queue()
    assert mailoutbox[0].to == ["pgdbadinh.hanoi@moet.edu.vn", "quanly@badinh.edu.vn"]


def test_the_page_form_invites_schools_and_the_site_replies(
    hanoi: Room, mailoutbox: list[Any]
) -> None:
    form = {**briefing_form(next_monday().date(), weeks=17), "invite_schools": "all"}
    with_commit = as_user("quanly.hanoi")

    response = with_commit.post("/hanoi/sessions/new/", form)
    assert response.status_code == 302
    invitation = Invitation.objects.get(unit__slug="c3tranphu-hanoi")
    # The school's unit login sees its invitation and replies.
    school = as_user(Room.objects.get(slug="c3tranphu-hanoi").account.username)  # type: ignore[union-attr]
    assert "Giao ban thứ Hai" in school.get("/c3tranphu-hanoi/invitations/").content.decode()
    school.post(
        f"/c3tranphu-hanoi/invitations/{invitation.pk}/reply/", {"reply": "no", "reason": ""}
    )
    invitation.refresh_from_db()
    assert invitation.reply == Reply.PENDING  # a "no" needs a reason
    school.post(
        f"/c3tranphu-hanoi/invitations/{invitation.pk}/reply/",
        {"reply": "no", "reason": "Mất điện"},
    )
    invitation.refresh_from_db()
    assert (invitation.reply, invitation.reason) == (Reply.NO, "Mất điện")
    # The host sees readiness, the self-test date and the reply.
    occurrence = invitation.session.occurrences.order_by("start").first()
    assert occurrence is not None
    page = as_user("quanly.hanoi").get(f"/hanoi/occurrences/{occurrence.pk}/").content.decode()
    assert "Trường THPT Trần Phú" in page and "Mất điện" in page and "badge-ok" in page


def test_another_site_cannot_reply_for_a_school(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    invitations_set(session=session, rules=[RuleInput(RuleKind.SCHOOLS, province=province(hanoi))])
    invitation = Invitation.objects.get(unit__slug="c3tranphu-hanoi")
    api = as_user("giaovien1")
    assert api.post(f"/api/invitations/{invitation.pk}/reply/", {"reply": "yes"}).status_code == 403


def test_attendance_feeds_the_report_and_csv(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday()))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.DISTRICTS, province=province(hanoi))]
    )
    occurrence = session.occurrences.order_by("start").first()
    assert occurrence is not None
    manager = as_user("quanly.hanoi")
    created = manager.post(
        "/api/attendance/",
        {
            "occurrence": occurrence.pk,
            "unit": "badinh",
            "joined_at": occurrence.start.isoformat(),
            "left_at": (occurrence.start + timedelta(minutes=80)).isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["minutes"] == 80
    body = manager.get(f"/hanoi/occurrences/{occurrence.pk}/attendance.csv").content.decode(
        "utf-8-sig"
    )
    lines = body.strip().splitlines()
    assert len(lines) == 4  # header + three district offices
    assert any(
        line.startswith("Phòng Giáo dục và Đào tạo quận Ba Đình") and line.endswith(",80")
        for line in lines
    )
    assert (
        as_user("giaovien1").get(f"/hanoi/occurrences/{occurrence.pk}/attendance.csv").status_code
        == 403
    )


def test_yearly_report(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday(), weeks=3))
    occurrence = session.occurrences.order_by("start").first()
    assert occurrence is not None
    attendance_record(
        occurrence=occurrence,
        unit=Unit.objects.get(slug="badinh"),
        joined_at=occurrence.start,
        left_at=occurrence.end,
    )
    year = timezone.localtime(occurrence.start).year
    manager = as_user("quanly.hanoi")
    page = manager.get(f"/hanoi/report/?year={year}").content.decode()
    assert "Họp giao ban" in page
    csv_body = manager.get(f"/hanoi/report/?year={year}&format=csv").content.decode("utf-8-sig")
    assert "Họp giao ban" in csv_body


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Ba Đình", "Ba Đình"),
        (80, "80"),
    ],
)
def test_csv_cells_are_safe_from_formula_injection(value: object, cell: str) -> None:
    assert safe_cell(value) == cell
    assert csv_text(["a"], [[value]]).startswith("\ufeff")


@pytest.mark.django_db(transaction=True)
def test_people_are_invited_by_name_and_mailed(hanoi: Room, mailoutbox: list[Any]) -> None:
    day = next_monday().date()
    form = {
        "title": "Tập huấn",
        "kind": "training",
        "day": day.isoformat(),
        "start_time": "14:00",
        "end_time": "16:00",
        "repeat": "none",
        "invite_people": "giaovien1, giaovien2@hanoi.edu.vn",
    }
    client = as_user("quanly.hanoi")
    bad = client.post("/hanoi/sessions/new/", {**form, "invite_people": "khongco"}).content.decode()
    assert "khongco" in bad and "errors" in bad
    assert client.post("/hanoi/sessions/new/", form).status_code == 302
    from scheduling.models import PersonInvitation, Session

    session = Session.objects.get(title="Tập huấn")
    assert set(
        PersonInvitation.objects.filter(session=session).values_list("user__username", flat=True)
    ) == {
        "giaovien1",
        "giaovien2",
    }
    run_mail_queue()  # the page queued the invitations when the form's save committed
    assert {tuple(m.to) for m in mailoutbox} >= {
        ("giaovien1@hanoi.edu.vn",),
        ("giaovien2@hanoi.edu.vn",),
    }


def test_a_site_answers_for_one_meeting(hanoi: Room) -> None:
    session = session_schedule(data=briefing(hanoi, next_monday(), weeks=4))
    invitations_set(
        session=session, rules=[RuleInput(RuleKind.SCHOOLS, province=province(hanoi), level="C3")]
    )
    invitation = Invitation.objects.get(unit__slug="c3tranphu-hanoi")
    school = as_user("c3tranphu-hanoi")
    school.post(f"/c3tranphu-hanoi/invitations/{invitation.pk}/reply/", {"reply": "yes"})
    second = session.occurrences.order_by("start")[1]
    school.post(
        f"/c3tranphu-hanoi/invitations/{invitation.pk}/meetings/{second.pk}/reply/",
        {"reply": "no", "reason": "Thi học kỳ"},
    )
    host = as_user("quanly.hanoi")
    first_page = host.get(
        f"/hanoi/occurrences/{session.occurrences.order_by('start')[0].pk}/"
    ).content.decode()
    second_page = host.get(f"/hanoi/occurrences/{second.pk}/").content.decode()
    assert "Sẽ tham dự" in first_page and "Thi học kỳ" not in first_page
    assert "Không thể tham dự" in second_page and "Thi học kỳ" in second_page


def test_the_api_invites_by_rule_and_person(hanoi: Room) -> None:
    start = next_monday()
    body = {
        "kind": "briefing",
        "title": "Giao ban qua API",
        "room": "hanoi",
        "start": (start + timedelta(hours=6)).isoformat(),
        "end": (start + timedelta(hours=7)).isoformat(),
        "invite": [
            {"kind": "districts", "province": "hanoi"},
            {"kind": "schools", "province": "hanoi", "level": "C3"},
        ],
        "people": ["giaovien1"],
    }
    client = as_user("quanly.hanoi")
    response = client.post("/api/sessions/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    uid = response.json()["uid"]
    invited = client.get("/api/invitations/", {"session": uid}).json()
    assert invited["count"] == 4
    bad = client.post(
        "/api/sessions/",
        {
            **body,
            "title": "X",
            "start": (start + timedelta(hours=9)).isoformat(),
            "end": (start + timedelta(hours=10)).isoformat(),
            "invite": [{"kind": "districts"}],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "invite" in bad.json()
    from scheduling.models import Session

    assert not Session.objects.filter(title="X").exists()  # nothing half-written
