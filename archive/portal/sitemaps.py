"""sitemap.xml: the portal and every published entry, so search engines find the archive."""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import QuerySet
from django.urls import reverse

from archive.models import ArchiveEntry
from archive.portal.selectors import published


class PortalSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self) -> list[str]:
        return ["portal:index"]

    def location(self, item: str) -> str:
        return reverse(item)


class EntrySitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.6
    limit = 5000

    def items(self) -> QuerySet[ArchiveEntry]:
        return published().order_by("-id")

    def location(self, item: ArchiveEntry) -> str:
        return reverse("portal:entry", args=[item.pk, item.slug or "video"])

    def lastmod(self, item: ArchiveEntry) -> datetime:
        return item.updated


SITEMAPS = {"portal": PortalSitemap, "archive": EntrySitemap}
