"""File sharing: a participant uploads, everybody in the meeting sees it listed."""

from __future__ import annotations

import os
import re
import secrets
import unicodedata

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from signaling import conf, selectors
from signaling.domain.protocol.serializers import event
from signaling.errors import SignalingError
from signaling.events import notify_room
from signaling.models import Participant, SharedFile
from signaling.services.meetings import actor

MAX_NAME_CHARS = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|\u202a-\u202e\u2066-\u2069]")


def clean_file_name(name: str) -> str:
    """A file name safe to show and to offer for download (no path, no control chars)."""
    base = os.path.basename(unicodedata.normalize("NFC", name or "").replace("\\", "/"))
    base = _UNSAFE.sub("_", base).strip(" .")
    if len(base) > MAX_NAME_CHARS:
        stem, ext = os.path.splitext(base)
        base = stem[: MAX_NAME_CHARS - len(ext)] + ext
    return base or "file"


def check_upload(upload: UploadedFile | None, *, limit: int) -> UploadedFile:
    """Refuse a missing, empty or too large upload."""
    if upload is None:
        raise SignalingError("file_missing")
    if not upload.size:
        raise SignalingError("file_empty")
    if upload.size > limit:
        raise SignalingError("file_too_large", limit=limit)
    return upload


def _check_quota(person: Participant) -> None:
    per_person, per_meeting = conf.files_per_participant(), conf.files_per_meeting()
    if selectors.files_count(person.meeting_id, identity=person.identity) >= per_person:
        raise SignalingError("too_many_files", limit=per_person)
    if selectors.files_count(person.meeting_id) >= per_meeting:
        raise SignalingError("too_many_files", limit=per_meeting)


@transaction.atomic
def file_quota_check(*, actor_peer: str) -> None:
    """Refuse, before the upload is read, someone whose share of files is used up."""
    _check_quota(actor(actor_peer))


@transaction.atomic
def file_share(*, actor_peer: str, upload: UploadedFile) -> int:
    """Store a participant's file and list it in the room; returns its id."""
    person = actor(actor_peer)  # locked: two uploads of one person are counted in turn
    _check_quota(person)
    check_upload(upload, limit=conf.file_max_bytes())
    name = clean_file_name(upload.name or "")
    ext = os.path.splitext(name)[1][:10].lower()
    shared = SharedFile(
        meeting_id=person.meeting_id,
        uploaded_by=person,
        by_name=person.name,
        name=name,
        size=upload.size or 0,
        content_type=(upload.content_type or "")[:120],
    )
    # The name on disk is random: nobody can guess or steer a path.
    shared.file.save(secrets.token_hex(16) + re.sub(r"[^a-z0-9.]", "", ext), upload, save=False)
    shared.save()
    slug = person.meeting.room.slug
    notify_room(
        slug, event("file.shared", file=selectors.plain_file(selectors.file_view(shared, slug)))
    )
    return shared.pk
