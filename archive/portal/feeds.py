"""RSS 2.0 and Atom feeds of the archive (C53 Art. 17.5), all of it or per unit or tag.

Each item carries its MP4 as an enclosure, so podcast apps and feed readers can fetch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from archive.models import ArchiveEntry, Tag
from archive.portal.selectors import published, tag_public
from rooms.models import Unit

FEED_ITEMS = 30


@dataclass(frozen=True)
class Scope:
    """What a feed covers (all, one unit, one tag) and the site's address for enclosures."""

    of: Unit | Tag | None
    base: str  # "https://hop.edu.net.vn": enclosure URLs must be absolute


class ArchiveRss(Feed):
    """The newest published entries, optionally of one unit or one tag."""

    scope_kind = ""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Scope:
        base = request.build_absolute_uri("/").rstrip("/")
        slug = kwargs.get("slug", "")
        of: Unit | Tag | None = None
        if self.scope_kind == "unit":
            of = Unit.objects.filter(slug=slug).first()
            if of is None:
                raise Http404(_("There is no such unit."))
        elif self.scope_kind == "tag":
            of = tag_public(slug)
            if of is None:
                raise Http404(_("There is no such tag."))
        return Scope(of, base)

    def title(self, obj: Scope) -> str:
        if obj.of is None:
            return _("Recordings archive")
        return _("Recordings archive: %(name)s") % {"name": obj.of.name}

    def link(self, obj: Scope) -> str:
        url = reverse("portal:index")
        if isinstance(obj.of, Unit):
            return f"{url}?unit={obj.of.slug}"
        if isinstance(obj.of, Tag):
            return f"{url}?tag={obj.of.slug}"
        return url

    def description(self, obj: Scope) -> str:
        return _("Broadcasts of education units, published after an editor's approval.")

    def items(self, obj: Scope) -> list[ArchiveEntry]:
        entries = published().order_by("-published_at", "-id")
        if isinstance(obj.of, Unit):
            entries = entries.filter(unit=obj.of)
        elif isinstance(obj.of, Tag):
            entries = entries.filter(tags=obj.of)
        items = list(entries[:FEED_ITEMS])
        for item in items:
            item.feed_base = obj.base  # type: ignore[attr-defined]
        return items

    def item_title(self, item: ArchiveEntry) -> str:
        return item.title

    def item_description(self, item: ArchiveEntry) -> str:
        return item.description

    def item_link(self, item: ArchiveEntry) -> str:
        return reverse("portal:entry", args=[item.pk, item.slug or "video"])

    def item_guid(self, item: ArchiveEntry) -> str:
        return f"urn:uuid:{item.recording_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: ArchiveEntry) -> datetime:
        return item.published_at or datetime.combine(item.held_on, time(), tzinfo=UTC)

    def item_updateddate(self, item: ArchiveEntry) -> datetime:
        return item.updated or timezone.now()

    def item_author_name(self, item: ArchiveEntry) -> str:
        return item.unit.name if item.unit else ""

    def item_categories(self, item: ArchiveEntry) -> list[str]:
        return [tag.name for tag in item.tags.all()]

    def item_enclosure_url(self, item: ArchiveEntry) -> str:
        return getattr(item, "feed_base", "") + reverse("portal:video", args=[item.pk])

    def item_enclosure_length(self, item: ArchiveEntry) -> int:
        return item.recording.mp4_bytes

    item_enclosure_mime_type = "video/mp4"


class ArchiveAtom(ArchiveRss):
    feed_type = Atom1Feed

    def subtitle(self, obj: Scope) -> str:
        return self.description(obj)


class UnitRss(ArchiveRss):
    scope_kind = "unit"


class TagRss(ArchiveRss):
    scope_kind = "tag"


class UnitAtom(ArchiveAtom):
    scope_kind = "unit"


class TagAtom(ArchiveAtom):
    scope_kind = "tag"
