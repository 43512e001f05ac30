"""What importing a roster would do, row by row (reads only; the service writes it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models.functions import Lower

from identity.domain.roster import Problem, TeacherRow, parse_teachers
from identity.models import Teacher
from rooms.models import Unit

NEW, LINK, UPDATE, UNCHANGED = "new", "link", "update", "unchanged"


@dataclass(frozen=True)
class PlannedRow:
    row: TeacherRow
    action: str  # NEW, LINK (an existing account gets its teacher record), UPDATE, UNCHANGED
    unit: Unit | None
    teacher: Teacher | None
    user: User | None


@dataclass(frozen=True)
class RosterPlan:
    rows: list[PlannedRow]
    problems: list[Problem]

    def problems_of(self, line: int) -> list[Problem]:
        """The problems of one line."""
        return [problem for problem in self.problems if problem.line == line]

    def count(self, action: str) -> int:
        """How many rows would take ``action``."""
        return sum(1 for planned in self.rows if planned.action == action)


def roster_plan(*, department: Unit, table: Sequence[Sequence[object]]) -> RosterPlan:
    """Every row's action and problem, against the directory and the accounts as they are."""
    rows, problems = parse_teachers(table)
    units = {u.code: u for u in Unit.objects.filter(code__in={r.unit_code for r in rows})}
    teachers = {
        t.national_id: t
        for t in Teacher.objects.select_related("user").filter(
            national_id__in={r.national_id for r in rows}
        )
    }
    users = {
        u.email_lower: u
        for u in User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in={r.email for r in rows if r.email})
        .select_related("teacher")
    }
    planned = []
    for row in rows:
        unit = units.get(row.unit_code)
        if row.unit_code and unit is None:
            problems.append(Problem(row.line, "unknown_unit", {"value": row.unit_code}))
        elif unit is not None and not _in_department(unit, department):
            problems.append(Problem(row.line, "unit_elsewhere", {"value": row.unit_code}))
        teacher, user = teachers.get(row.national_id), users.get(row.email)
        owner = getattr(user, "teacher", None) if user is not None else None
        if user is not None and (
            (teacher is not None and teacher.user_id != user.pk)
            or (owner is not None and owner.national_id != row.national_id)
        ):
            problems.append(Problem(row.line, "email_taken", {"value": row.email}))
        planned.append(PlannedRow(row, _action(row, teacher, user, unit), unit, teacher, user))
    return RosterPlan(planned, sorted(problems, key=lambda problem: problem.line))


def _in_department(unit: Unit, department: Unit) -> bool:
    return unit.pk == department.pk or (
        department.province_id is not None and unit.province_id == department.province_id
    )


def _action(row: TeacherRow, teacher: Teacher | None, user: User | None, unit: Unit | None) -> str:
    if teacher is None:
        return LINK if user is not None else NEW
    same = (
        teacher.user.email.lower() == row.email
        and teacher.user.first_name == row.full_name
        and unit is not None
        and teacher.unit_id == unit.pk
        and (not row.subjects_given or teacher.subjects == row.subjects)
    )
    return UNCHANGED if same else UPDATE
