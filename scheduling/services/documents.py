"""Agenda documents of a session: upload with checks, and who may download them."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils.translation import gettext as _

from rooms.permissions import AnyUser, is_system_admin
from scheduling.errors import SchedulingError
from scheduling.models import Invitation, Session, SessionDocument
from scheduling.permissions import can_schedule

ALLOWED_SUFFIXES = frozenset(
    {".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".txt"}
)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


def document_add(*, session: Session, upload: UploadedFile) -> SessionDocument:
    """Attach a PDF or office document to a session's agenda."""
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
    return SessionDocument.objects.create(
        session=session, file=upload, name=name, size=upload.size or 0
    )


def can_download(user: AnyUser, document: SessionDocument) -> bool:
    """The room's hosts and the invited sites' managers and unit logins."""
    session = document.session
    if can_schedule(user, session.room) or is_system_admin(user):
        return True
    if not user.is_authenticated:
        return False
    mine = Q(unit__room__manager_id=user.pk) | Q(unit__room__account_id=user.pk)
    return (
        Invitation.objects.filter(mine, session=session).exists()
        or session.room.memberships.filter(user_id=user.pk).exists()
    )
