"""The web edge of recordings and the public archive: pages, files, feeds, search, sitemap."""
