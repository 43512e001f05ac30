"""Forms of the rooms pages: the checklist editor and the directory filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rooms.models import EquipmentItem, ItemStatus, UnitKind
from rooms.services.sites import ItemChange

MAX_ITEMS_PER_SITE = 40


class EquipmentItemForm(forms.ModelForm[EquipmentItem]):
    """One checklist line."""

    class Meta:
        model = EquipmentItem
        fields = ["kind", "quantity", "status", "note", "checked_on"]
        widgets = {
            "checked_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "quantity": forms.NumberInput(attrs={"min": 0, "max": 99, "inputmode": "numeric"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ItemStatus.WORKING and data.get("quantity") == 0:
            self.add_error("quantity", _("A working item needs a quantity of at least 1."))
        return data

    def to_change(self) -> ItemChange:
        """The validated line as the service takes it."""
        data = self.cleaned_data
        return ItemChange(
            id=self.instance.pk,
            kind=data["kind"],
            quantity=data["quantity"],
            status=data["status"],
            note=data.get("note", ""),
            checked_on=data.get("checked_on") if "checked_on" in self.changed_data else None,
        )


EquipmentFormSet: type[BaseModelFormSet[EquipmentItem, EquipmentItemForm]] = modelformset_factory(
    EquipmentItem,
    form=EquipmentItemForm,
    extra=1,
    can_delete=True,
    max_num=MAX_ITEMS_PER_SITE,
    validate_max=True,
)


class DirectoryFilterForm(forms.Form):
    """Search and filters of the room directory."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=pgettext_lazy("unit", "Kind"),
        required=False,
        choices=[("", pgettext_lazy("unit", "All kinds")), *UnitKind.choices],
    )
    province = forms.ChoiceField(label=_("Province"), required=False)

    def __init__(self, *args: Any, provinces: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("All provinces")), *provinces]  # type: ignore[attr-defined]


class SitesFilterForm(DirectoryFilterForm):
    """Filters of the sites readiness overview."""

    STATES = [("", _("Any readiness")), ("ready", _("Ready")), ("not_ready", _("Not ready"))]
    state = forms.ChoiceField(label=_("Readiness"), required=False, choices=STATES)
