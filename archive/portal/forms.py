"""Forms of the portal: the filters, the search box, and the editors' forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from archive.domain.captions import MAX_CAPTIONS_BYTES
from archive.models import ArchiveEntry
from archive.portal.search import MAX_QUERY_CHARS
from archive.services.archive import EntryInput, tags_parse
from archive.services.errors import ArchiveError
from rooms.models import Unit
from scheduling.models import SessionKind


class FilterForm(forms.Form):
    """The portal's filters; an unknown value is ignored rather than an error."""

    unit = forms.CharField(label=_("Host unit"), required=False, max_length=80)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *SessionKind.choices]
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=80)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, years: list[int], units: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *((y, str(y)) for y in years)]  # type: ignore[attr-defined]
        self.fields["unit"].widget = forms.Select(choices=[("", _("All units")), *units])


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the archive"),
        max_length=MAX_QUERY_CHARS,
        error_messages={
            "required": _("Type a word to search for."),
            "max_length": _("The search is too long: use at most %(limit_value)d characters."),
        },
    )


class EntryForm(forms.Form):
    """What an editor may change about an entry (tags as a comma-separated line)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea)
    unit = forms.ModelChoiceField(
        label=_("Host unit"), queryset=Unit.objects.order_by("name"), required=False
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    held_on = forms.DateField(label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}))
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas, e.g. Tập huấn, Chuyển đổi số."),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=300,
        help_text=_("Name the original source when this is republished material."),
    )

    @classmethod
    def for_entry(cls, entry: ArchiveEntry) -> EntryForm:
        return cls(
            initial={
                "title": entry.title,
                "description": entry.description,
                "unit": entry.unit_id,
                "kind": entry.kind,
                "held_on": entry.held_on,
                "tags": ", ".join(t.name for t in entry.tags.all()),
                "source": entry.source,
            }
        )

    def clean_tags(self) -> list[str]:
        try:
            return tags_parse(self.cleaned_data.get("tags", ""))
        except ArchiveError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def to_input(self) -> EntryInput:
        data = self.cleaned_data
        return EntryInput(
            title=data["title"],
            description=data["description"],
            unit=data["unit"],
            kind=data["kind"],
            held_on=data["held_on"],
            source=data["source"],
            tags=data["tags"],
        )


class CaptionsForm(forms.Form):
    captions = forms.FileField(
        label=_("Captions (WebVTT file)"),
        help_text=_("A .vtt file of at most 1 MB."),
        error_messages={"required": _("Choose a WebVTT file.")},
    )

    def read(self) -> bytes:
        """The file's bytes, reading at most one byte past the limit."""
        upload = self.cleaned_data["captions"]
        return bytes(upload.read(MAX_CAPTIONS_BYTES + 1))
