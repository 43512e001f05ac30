"""Pages of the directory, room pages, site checklists and the device self-test."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from rooms import selectors
from rooms.domain.readiness import KIND_CATEGORY
from rooms.forms import DirectoryFilterForm, EquipmentFormSet, EquipmentItemForm, SitesFilterForm
from rooms.models import Category, Room, Site
from rooms.permissions import can_manage_room, can_manage_site, is_system_admin
from rooms.services.sites import site_checklist_save
from rooms.shortcuts import room_or_404

DIRECTORY_PAGE_SIZE = 60


def _province_choices() -> list[tuple[str, str]]:
    return [(p.slug, p.name) for p in selectors.provinces()]


def directory(request: HttpRequest) -> HttpResponse:
    """Every room with its public address; search without accents, filter by kind."""
    form = DirectoryFilterForm(request.GET or None, provinces=_province_choices())
    filters = form.cleaned_data if form.is_valid() else {}
    rooms = selectors.rooms_directory(
        query=filters.get("q", ""),
        kind=filters.get("kind", ""),
        province=filters.get("province", ""),
    )
    page = Paginator(rooms, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "rooms/directory.html", {"form": form, "page": page})


def room_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A room's page: its unit, address, manager's contact and its sub-units' rooms."""
    room = room_or_404(slug)
    site = selectors.site_for_room(room=room)
    manages = can_manage_room(request.user, room)
    context = {
        "room": room,
        "children": selectors.room_children(room=room),
        "can_manage": manages,
        "site_status": selectors.site_status(site=site) if site and manages else None,
    }
    return render(request, "rooms/room_detail.html", context)


def _managed_site(request: HttpRequest, slug: str) -> tuple[Room, Site]:
    room = room_or_404(slug)
    site = selectors.site_for_room(room=room)
    if site is None:
        raise Http404(_("This room has no meeting site."))
    if not can_manage_site(request.user, site):
        raise PermissionDenied(_("Only the room's manager or an administrator may do this."))
    return room, site


@login_required
@require_http_methods(["GET", "POST"])
def equipment_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit a site's checklist; readiness is recomputed on save."""
    room, site = _managed_site(request, slug)
    formset = EquipmentFormSet(request.POST or None, queryset=site.items.order_by("kind", "id"))
    if request.method == "POST" and formset.is_valid():
        site_checklist_save(
            site=site,
            changes=[
                form.to_change()
                for form in formset.forms
                if form.has_changed() and form not in formset.deleted_forms
            ],
            deleted_ids=[form.instance.pk for form in formset.deleted_forms if form.instance.pk],
        )
        status = selectors.site_status(site=site)
        messages.success(
            request,
            _("Checklist saved. The site is ready.")
            if status.readiness.ready
            else _("Checklist saved. The site is not ready yet."),
        )
        return redirect("rooms:equipment", slug=room.slug)
    context = {
        "room": room,
        "site": site,
        "formset": formset,
        "groups": _checklist_groups(formset.forms),
        "new_forms": [form for form in formset.forms if not form.instance.pk],
        "site_status": selectors.site_status(site=site),
    }
    return render(request, "rooms/equipment.html", context)


def _checklist_groups(forms: list[EquipmentItemForm]) -> list[tuple[str, list[EquipmentItemForm]]]:
    """Saved lines grouped by the four categories of Art. 18.3, in the article's order."""
    groups: dict[str, list[EquipmentItemForm]] = {value: [] for value in Category.values}
    for form in forms:
        if form.instance.pk:
            groups[KIND_CATEGORY.get(form.instance.kind, Category.CAMERA)].append(form)
    return [(str(Category(value).label), listed) for value, listed in groups.items() if listed]


@login_required
def selftest(request: HttpRequest, slug: str) -> HttpResponse:
    """The browser self-test of camera, microphone, speakers and connection."""
    room, site = _managed_site(request, slug)
    context = {
        "room": room,
        "site": site,
        "site_readiness": selectors.site_status(site=site).readiness,
        "save_url": reverse("api:site-device-tests", kwargs={"slug": site.unit.slug}),
        "ping_url": reverse("api:selftest-ping"),
        "download_url": reverse("api:selftest-download"),
    }
    return render(request, "rooms/selftest.html", context)


@login_required
def sites_overview(request: HttpRequest) -> HttpResponse:
    """Readiness of every site (administrators) or of one's own site (managers)."""
    form = SitesFilterForm(request.GET or None, provinces=_province_choices())
    filters = form.cleaned_data if form.is_valid() else {}
    statuses = selectors.sites_overview(
        user=request.user,
        province=filters.get("province", ""),
        state=filters.get("state", ""),
        kind=filters.get("kind", ""),
    )
    context = {
        "form": form,
        "statuses": statuses,
        "is_admin": is_system_admin(request.user),
        "ready_count": sum(1 for s in statuses if s.readiness.ready),
    }
    return render(request, "rooms/sites.html", context)
