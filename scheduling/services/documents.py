"""Agenda documents of a session: upload with checks, and who may download them."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from rooms.permissions import AnyUser, acting_pk, is_system_admin
from rooms.selectors import rooms_managed_by
from scheduling.errors import SchedulingError
from scheduling.models import Invitation, Session, SessionDocument
from scheduling.permissions import can_schedule

ALLOWED_SUFFIXES = frozenset(
    {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".txt"}
)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def document_checked_name(upload: UploadedFile) -> str:
    """The upload's file name once its type and size are allowed (SchedulingError if not).

    Agenda documents and competitors' lesson plans follow the same rule: one check."""
    name = PurePath(upload.name or "").name[:200]
    if PurePath(name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise SchedulingError(
            _("Attach a PDF or an office document (Word, Excel, PowerPoint, OpenDocument).")
        )
    limit = int(getattr(settings, "MEET_DOCUMENT_MAX_BYTES", DEFAULT_MAX_BYTES))
    if (upload.size or 0) > limit:
        raise SchedulingError(
            _("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)}
        )
    return name


def document_add(*, session: Session, upload: UploadedFile) -> SessionDocument:
    """Attach a PDF or office document to a session's agenda."""
    name = document_checked_name(upload)
    return SessionDocument.objects.create(
        session=session, file=upload, name=name, size=upload.size or 0
    )


def can_download(user: AnyUser, document: SessionDocument) -> bool:
    """The room's hosts and the invited sites' managers and unit logins."""
    session = document.session
    if can_schedule(user, session.room) or is_system_admin(user):
        return True
    pk = acting_pk(user)
    if pk is None:
        return False
    return (
        Invitation.objects.filter(session=session, unit__room__in=rooms_managed_by(user)).exists()
        or session.room.memberships.filter(user_id=pk).exists()
    )
