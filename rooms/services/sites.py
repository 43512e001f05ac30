"""Meeting sites: their checklists and the browser self-tests run there."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from rooms.models import DeviceTest, EquipmentItem, EquipmentKind, ItemStatus, Site, Unit

# What Art. 18.3 asks of every site: a new checklist starts with one line of each,
# marked missing, so the manager sees at once what to confirm.
DEFAULT_CHECKLIST = (
    EquipmentKind.WEBCAM,
    EquipmentKind.COMPUTER,
    EquipmentKind.LOUDSPEAKER,
    EquipmentKind.MICROPHONE,
    EquipmentKind.AMPLIFIER,
    EquipmentKind.MIXER,
    EquipmentKind.TV,
)


def site_ensure(*, unit: Unit) -> Site:
    """Give a unit its meeting site with the Art. 18.3 checklist, once."""
    site, created = Site.objects.get_or_create(unit=unit)
    if created:
        EquipmentItem.objects.bulk_create(
            EquipmentItem(site=site, kind=kind, status=ItemStatus.MISSING, quantity=0)
            for kind in DEFAULT_CHECKLIST
        )
    return site


@dataclass(frozen=True)
class ItemChange:
    """An item as the checklist form or the API submits it (id None = new)."""

    id: int | None
    kind: str
    quantity: int
    status: str
    note: str
    checked_on: date | None


def _apply(item: EquipmentItem, change: ItemChange, today: date) -> bool:
    fields = ("kind", "quantity", "status", "note")
    changed = any(getattr(item, name) != getattr(change, name) for name in fields)
    for name in fields:
        setattr(item, name, getattr(change, name))
    if change.checked_on is not None:
        item.checked_on = change.checked_on
    elif changed or item.checked_on is None:
        # Saving a line is checking it: the date moves unless the user gave one.
        item.checked_on = today
    return changed


@transaction.atomic
def site_checklist_save(
    *, site: Site, changes: Iterable[ItemChange], deleted_ids: Iterable[int] = ()
) -> list[EquipmentItem]:
    """Write the edited checklist lines and delete the removed ones."""
    today = timezone.localdate()
    existing = {item.id: item for item in site.items.select_for_update()}
    saved: list[EquipmentItem] = []
    for change in changes:
        item = existing.get(change.id) if change.id else None
        if item is None:
            item = EquipmentItem(site=site)
        _apply(item, change, today)
        item.save()
        saved.append(item)
    doomed = [pk for pk in deleted_ids if pk in existing]
    if doomed:
        EquipmentItem.objects.filter(site=site, id__in=doomed).delete()
    Site.objects.filter(pk=site.pk).update(updated_at=timezone.now())
    return saved


def device_test_record(
    *,
    site: Site,
    tested_by: User | AnonymousUser,
    camera_ok: bool,
    microphone_ok: bool,
    microphone_peak: float,
    speakers_ok: bool,
    rtt_ms: float | None,
    download_mbps: float | None,
    user_agent: str,
) -> DeviceTest:
    """Store the outcome of a browser self-test with its site."""
    return DeviceTest.objects.create(
        site=site,
        tested_by=tested_by if tested_by.is_authenticated else None,
        camera_ok=camera_ok,
        microphone_ok=microphone_ok,
        microphone_peak=max(0.0, min(1.0, microphone_peak)),
        speakers_ok=speakers_ok,
        rtt_ms=rtt_ms,
        download_mbps=download_mbps,
        user_agent=user_agent[:400],
    )
