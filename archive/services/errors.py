"""Errors of recordings and the archive, as sentences a teacher understands; edges map them."""

from __future__ import annotations


class RecordingError(Exception):
    """A recording cannot be started, stopped or registered as asked."""


class ArchiveError(Exception):
    """An archive entry cannot be changed as asked (bad captions, wrong state...)."""
