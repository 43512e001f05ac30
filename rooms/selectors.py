"""Reads of the directory, rooms and sites; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from rooms.domain import naming
from rooms.domain.readiness import Item, Readiness, SelfTest, compute_readiness
from rooms.models import DeviceTest, EquipmentItem, Province, Room, Site, Unit, UnitKind
from rooms.permissions import AnyUser, acting_pk, is_system_admin

# A unit's officers supervise the units up to this many levels below it (ministry ->
# department -> district office -> school); the "everyone under this unit" invitation
# reaches as far.
SUPERVISION_LEVELS = 3

# Directory order: the hierarchy first (departments, districts, ...), rooms of no unit last.
_KIND_RANK = Case(
    *(
        When(unit__kind=kind, then=Value(rank))
        for rank, kind in enumerate(
            [
                UnitKind.MINISTRY,
                UnitKind.DEPARTMENT,
                UnitKind.DISTRICT,
                UnitKind.COMMUNE,
                UnitKind.SCHOOL,
                UnitKind.CENTRE,
            ]
        )
    ),
    default=Value(99),
)


def rooms_directory(*, query: str = "", kind: str = "", province: str = "") -> QuerySet[Room]:
    """Rooms for the public directory, searchable without accents."""
    rooms = (
        Room.objects.select_related("unit", "unit__province", "manager")
        .annotate(kind_rank=_KIND_RANK)
        .order_by("kind_rank", "slug")
    )
    if kind:
        rooms = rooms.filter(unit__kind=kind)
    if province:
        rooms = rooms.filter(unit__province__slug=province)
    if query.strip():
        # Slugs are the name without accents, so "ha noi", "Hà Nội" and "hanoi" all match.
        try:
            compacted = naming.compact(query)
        except ValueError:
            compacted = ""
        condition = Q(title__icontains=query.strip()) | Q(unit__name__icontains=query.strip())
        if compacted:
            condition |= Q(slug__contains=compacted)
        rooms = rooms.filter(condition)
    return rooms


def room_get(*, slug: str) -> Room | None:
    """The room at an address, with what its page shows."""
    return (
        Room.objects.select_related("unit", "unit__province", "unit__parent", "manager")
        .filter(slug=slug)
        .first()
    )


def room_children(*, room: Room) -> QuerySet[Room]:
    """Rooms of the units directly under this room's unit."""
    if room.unit_id is None:
        return Room.objects.none()
    return Room.objects.select_related("unit").filter(unit__parent_id=room.unit_id)


def provinces() -> QuerySet[Province]:
    """All provinces, by name."""
    return Province.objects.order_by("name")


def _latest_test_ids() -> Subquery:
    latest = DeviceTest.objects.filter(site=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(latest.values("id")[:1])


def _readiness(site: Site, test: DeviceTest | None) -> Readiness:
    items = [
        Item(kind=i.kind, status=i.status, quantity=i.quantity, checked_on=i.checked_on)
        for i in site.items.all()
    ]
    selftest = None
    if test is not None:
        selftest = SelfTest(
            at=test.created_at,
            camera_ok=test.camera_ok,
            microphone_ok=test.microphone_ok,
            speakers_ok=test.speakers_ok,
            rtt_ms=test.rtt_ms,
            download_mbps=test.download_mbps,
        )
    return compute_readiness(items, selftest=selftest, now=timezone.now())


@dataclass(frozen=True)
class SiteStatus:
    """A site with its computed readiness."""

    site: Site
    readiness: Readiness


def _with_status(sites: QuerySet[Site]) -> list[SiteStatus]:
    sites = (
        sites.select_related("unit", "unit__province", "unit__room")
        .prefetch_related(Prefetch("items", queryset=EquipmentItem.objects.order_by("kind", "id")))
        .annotate(latest_test_id=_latest_test_ids())
    )
    listed = list(sites)
    tests = DeviceTest.objects.in_bulk([s.latest_test_id for s in listed if s.latest_test_id])
    return [
        SiteStatus(site=s, readiness=_readiness(s, tests.get(s.latest_test_id))) for s in listed
    ]


def site_status(*, site: Site) -> SiteStatus:
    """One site's readiness, from its checklist and its latest self-test."""
    return _with_status(Site.objects.filter(pk=site.pk))[0]


def site_for_room(*, room: Room) -> Site | None:
    """The meeting site of the room's unit."""
    if room.unit_id is None:
        return None
    return Site.objects.select_related("unit").filter(unit_id=room.unit_id).first()


def rooms_managed_by(user: AnyUser) -> QuerySet[Room]:
    """The rooms whose manager or unit login this person is (none when signed out)."""
    pk = acting_pk(user)
    if pk is None:
        return Room.objects.none()
    return Room.objects.filter(Q(manager_id=pk) | Q(account_id=pk))


def room_managed_by(user: AnyUser) -> Room | None:
    """The unit room a person manages: the one they are the officer of, else their login's."""
    pk = acting_pk(user)
    if pk is None:
        return None
    rooms = Room.objects.select_related("unit", "unit__province").filter(unit__isnull=False)
    return rooms.filter(manager_id=pk).first() or rooms.filter(account_id=pk).first()


def _belongs_to(pk: int) -> Q:
    """Rooms ``pk`` manages, logs in as, hosts or takes part in."""
    return Q(manager_id=pk) | Q(account_id=pk) | Q(memberships__user_id=pk)


def _supervisor_is(pk: int) -> Q:
    """Rooms whose unit lies up to SUPERVISION_LEVELS below a unit whose room ``pk`` manages."""
    above = Q()
    for level in range(1, SUPERVISION_LEVELS + 1):
        chain = "unit__" + "parent__" * level + "room__"
        above |= Q(**{f"{chain}manager_id": pk}) | Q(**{f"{chain}account_id": pk})
    return above


def rooms_with_private_calendar_for(user: AnyUser) -> QuerySet[Room]:
    """Rooms whose private sessions a person may see: the one rule, used everywhere.

    Administrators see every room; a room's manager, unit login and members (hosts and
    participants) see their room; the manager and unit login of a unit above it see it
    too (a department supervises its schools). Anonymous or deactivated: no room."""
    if is_system_admin(user):
        return Room.objects.all()
    pk = acting_pk(user)
    if pk is None:
        return Room.objects.none()
    return Room.objects.filter(_belongs_to(pk) | _supervisor_is(pk)).distinct()


def rooms_belonging_to(user: AnyUser) -> QuerySet[Room]:
    """The rooms a person manages, logs in as, hosts or takes part in (none when signed out)."""
    pk = acting_pk(user)
    if pk is None:
        return Room.objects.none()
    return Room.objects.filter(_belongs_to(pk)).distinct()


def sites_visible_to(user: AnyUser) -> QuerySet[Site]:
    """Every site for administrators; the sites of the rooms a person manages otherwise."""
    if is_system_admin(user):
        return Site.objects.all()
    return Site.objects.filter(unit__room__in=rooms_managed_by(user))


def sites_overview(
    *, user: AnyUser, province: str = "", state: str = "", kind: str = ""
) -> list[SiteStatus]:
    """Readiness of the sites a person may see, filtered by province, kind and state."""
    sites = sites_visible_to(user).order_by("unit__province__name", "unit__kind", "unit__name")
    if province:
        sites = sites.filter(unit__province__slug=province)
    if kind:
        sites = sites.filter(unit__kind=kind)
    statuses = _with_status(sites)
    if state == "ready":
        statuses = [s for s in statuses if s.readiness.ready]
    elif state == "not_ready":
        statuses = [s for s in statuses if not s.readiness.ready]
    return statuses


def department_of(province: Province) -> Unit | None:
    """The department of education and training of a province."""
    return Unit.objects.filter(kind=UnitKind.DEPARTMENT, province=province).first()
