"""Writes of recordings and the archive: start/stop/refresh, approval, metadata, search index."""
