"""Loading today's provinces and importing districts, communes, schools and centres."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from vietnam_provinces import Province as ProvinceRecord

from rooms.domain import naming
from rooms.domain.unit_rows import RowError, UnitRow, parse_units
from rooms.errors import UnitImportError
from rooms.models import Province, Room, Unit, UnitKind
from rooms.services.sites import site_ensure

MINISTRY_CODE = "BGDDT"
MINISTRY_NAME = "Bộ Giáo dục và Đào tạo"
MINISTRY_SLUG = "moet"
# The circular's own customary abbreviation (C53 Art. 4.3, Art. 8.1: "SotpHCM").
PROVINCE_ABBREVIATIONS = {79: "tpHCM"}
_CITY_PREFIX = "Thành phố "

# Which kinds may sit directly under which parent kind.
ALLOWED_PARENTS: dict[str, frozenset[str]] = {
    UnitKind.DISTRICT: frozenset({UnitKind.DEPARTMENT}),
    UnitKind.COMMUNE: frozenset({UnitKind.DEPARTMENT, UnitKind.DISTRICT}),
    UnitKind.SCHOOL: frozenset({UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.COMMUNE}),
    UnitKind.CENTRE: frozenset({UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.COMMUNE}),
}
# Parents are created before their children.
_KIND_ORDER = {UnitKind.DISTRICT: 0, UnitKind.COMMUNE: 1, UnitKind.SCHOOL: 2, UnitKind.CENTRE: 3}


@dataclass(frozen=True)
class LoadResult:
    """How many records a load created and updated."""

    created: int
    updated: int


def department_code(province_code: int) -> str:
    """The stable code of a province's department of education and training."""
    return f"SO{province_code:02d}"


def _short_name(name: str) -> str:
    return name.removeprefix(_CITY_PREFIX)


def _ministry() -> Unit:
    ministry, _created = Unit.objects.get_or_create(
        code=MINISTRY_CODE,
        defaults={
            "kind": UnitKind.MINISTRY,
            "name": MINISTRY_NAME,
            "abbreviation": "MOET",
            "slug": MINISTRY_SLUG,
        },
    )
    return ministry


def _load_province(record: ProvinceRecord, ministry: Unit) -> bool:
    code = int(record.code)
    abbreviation = PROVINCE_ABBREVIATIONS.get(code, "")
    short = _short_name(record.name)
    province, created = Province.objects.update_or_create(
        code=code,
        defaults={"name": record.name},
        create_defaults={
            "name": record.name,
            "slug": naming.province_slug(short, abbreviation),
        },
    )
    department, _ = Unit.objects.update_or_create(
        code=department_code(code),
        defaults={"name": f"Sở Giáo dục và Đào tạo {short}", "parent": ministry},
        create_defaults={
            "kind": UnitKind.DEPARTMENT,
            "name": f"Sở Giáo dục và Đào tạo {short}",
            "abbreviation": abbreviation,
            "parent": ministry,
            "province": province,
            # A department's address name is its province's (Art. 18.1: /tên-tỉnh).
            "slug": province.slug,
            "mailbox": naming.department_mailbox(short, abbreviation),
        },
    )
    site_ensure(unit=department)
    return created


@transaction.atomic
def provinces_load() -> LoadResult:
    """Load today's provinces and a department for each under the ministry (idempotent)."""
    ministry = _ministry()
    created = updated = 0
    for record in ProvinceRecord.iter_all():
        if _load_province(record, ministry):
            created += 1
        else:
            updated += 1
    return LoadResult(created=created, updated=updated)


class _ProvinceIndex:
    """Finds a province by code, slug, or name with or without accents and prefix."""

    def __init__(self) -> None:
        self._by_key: dict[str, Province] = {}
        for province in Province.objects.all():
            for key in (
                str(province.code),
                f"{province.code:02d}",
                province.slug,
                naming.compact(province.name),
                naming.compact(_short_name(province.name)),
            ):
                self._by_key[key] = province

    def find(self, value: str) -> Province | None:
        if value in self._by_key:
            return self._by_key[value]
        try:
            return self._by_key.get(naming.compact(value))
        except ValueError:
            return None


@dataclass
class _Plan:
    row: UnitRow
    province: Province
    parent_code: str
    parent_kind: str
    existing: Unit | None


def _parent_facts(
    row: UnitRow | None, unit: Unit | None, provinces: _ProvinceIndex
) -> tuple[str, int | None]:
    """The kind and province id of a parent given in the file or found in the directory."""
    if row is not None:
        province = provinces.find(row.province)
        return row.kind, province.pk if province else None
    assert unit is not None
    return unit.kind, unit.province_id


def _plan_rows(rows: list[UnitRow]) -> tuple[list[_Plan], list[RowError]]:
    provinces = _ProvinceIndex()
    in_file = {row.code: row for row in rows}
    referenced = {row.parent_code for row in rows if row.parent_code} | set(in_file)
    in_db = {unit.code: unit for unit in Unit.objects.filter(code__in=referenced)}
    departments = {unit.province_id: unit for unit in Unit.objects.filter(kind=UnitKind.DEPARTMENT)}
    plans: list[_Plan] = []
    errors: list[RowError] = []
    for row in rows:
        province = provinces.find(row.province)
        if province is None:
            errors.append(RowError(row.line, "unknown_province", {"value": row.province}))
            continue
        existing = in_db.get(row.code)
        if existing is not None and existing.kind != row.kind:
            errors.append(RowError(row.line, "kind_changed", {"value": row.code}))
            continue
        if row.parent_code:
            parent_row, parent_unit = in_file.get(row.parent_code), in_db.get(row.parent_code)
            if parent_row is None and parent_unit is None:
                errors.append(RowError(row.line, "unknown_parent", {"value": row.parent_code}))
                continue
            parent_kind, parent_province = _parent_facts(parent_row, parent_unit, provinces)
            if parent_province != province.pk:
                errors.append(
                    RowError(row.line, "parent_other_province", {"value": row.parent_code})
                )
                continue
            parent_code = row.parent_code
        else:
            department = departments.get(province.pk)
            if department is None:
                errors.append(RowError(row.line, "no_department"))
                continue
            parent_code, parent_kind = department.code, UnitKind.DEPARTMENT
        if parent_kind not in ALLOWED_PARENTS[UnitKind(row.kind)]:
            errors.append(
                RowError(row.line, "parent_wrong_kind", {"kind": row.kind, "value": parent_code})
            )
            continue
        plans.append(_Plan(row, province, parent_code, parent_kind, existing))
    return plans, errors


def _slug_and_mailbox(
    row: UnitRow, province: Province, ambiguous: frozenset[str]
) -> tuple[str, str]:
    place = province.slug
    if row.kind == UnitKind.DISTRICT:
        slug = naming.district_slug(
            row.name, place, ambiguous=naming.compact(row.name) in ambiguous
        )
        if row.abbreviation:
            slug = naming.compact(row.name, row.abbreviation)
        return slug, naming.district_mailbox(row.name, place)
    if row.kind == UnitKind.COMMUNE:
        return naming.commune_slug(row.name, place), naming.commune_mailbox(row.name, place)
    if row.kind == UnitKind.SCHOOL:
        return (
            naming.school_slug(row.level, row.name, place, row.abbreviation),
            naming.school_mailbox(row.level, row.name, place, row.abbreviation),
        )
    return (
        naming.centre_slug(row.level, row.name, place, row.abbreviation),
        naming.centre_mailbox(row.level, row.name, place, row.abbreviation),
    )


def _district_ambiguity(plans: list[_Plan]) -> frozenset[str]:
    pairs = [
        (naming.compact(unit.name), unit.province.slug)
        for unit in Unit.objects.filter(kind=UnitKind.DISTRICT).select_related("province")
        if unit.province is not None
    ]
    pairs += [
        (naming.compact(plan.row.name), plan.province.slug)
        for plan in plans
        if plan.row.kind == UnitKind.DISTRICT
    ]
    return naming.ambiguous_names(pairs)


def _write(plans: list[_Plan]) -> LoadResult:
    ambiguous = _district_ambiguity(plans)
    taken = set(Unit.objects.values_list("slug", flat=True))
    taken |= set(Room.objects.values_list("slug", flat=True))
    units: dict[str, Unit] = {}
    created = updated = 0
    for plan in sorted(plans, key=lambda p: (_KIND_ORDER[UnitKind(p.row.kind)], p.row.line)):
        row = plan.row
        parent = units.get(plan.parent_code) or Unit.objects.get(code=plan.parent_code)
        unit = plan.existing or Unit(code=row.code, kind=row.kind)
        unit.level, unit.name, unit.abbreviation = row.level, row.name, row.abbreviation
        unit.parent, unit.province = parent, plan.province
        slug, mailbox = _slug_and_mailbox(row, plan.province, ambiguous)
        if plan.existing is None:
            # Existing units keep their address: it is printed on letters and bookmarks.
            unit.slug = naming.unique_slug(slug, taken, qualifier=plan.province.slug)
            taken.add(unit.slug)
            created += 1
        else:
            updated += 1
        unit.mailbox = row.mailbox or unit.mailbox or mailbox
        unit.save()
        site_ensure(unit=unit)
        units[row.code] = unit
    return LoadResult(created=created, updated=updated)


def _naming_errors(plans: list[_Plan]) -> list[RowError]:
    errors = []
    for plan in plans:
        try:
            _slug_and_mailbox(plan.row, plan.province, frozenset())
        except ValueError:
            errors.append(RowError(plan.row.line, "bad_name"))
    return errors


def units_import(*, text: str) -> LoadResult:
    """Import a units CSV all-or-nothing; raise UnitImportError listing every bad row."""
    rows, errors = parse_units(text)
    plans, plan_errors = _plan_rows(rows)
    errors += plan_errors + _naming_errors(plans)
    if errors:
        raise UnitImportError(sorted(errors, key=lambda error: error.line))
    with transaction.atomic():
        return _write(plans)
