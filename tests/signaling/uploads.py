"""Counting the files Django parses from upload bodies: a body refused before it is
read parses none (issue 10)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.files.uploadhandler import MemoryFileUploadHandler


class CountingUploadHandler(MemoryFileUploadHandler):
    """Django's own in-memory upload handler, counting the files it received."""

    received: ClassVar[int] = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        CountingUploadHandler.received += 1
        super().new_file(*args, **kwargs)


def count_uploads(settings: Any) -> type[CountingUploadHandler]:
    """Parse uploads with ``CountingUploadHandler`` alone, its count back at zero
    (``settings``: pytest-django's fixture, undone after the test)."""
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.CountingUploadHandler"]
    CountingUploadHandler.received = 0
    return CountingUploadHandler
