"""Schools register their teachers, with the lesson and its documents."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from competitions.errors import CompetitionError, WrongStage
from competitions.models import Competition, Contestant, ContestantDocument, Status, Subject
from competitions.permissions import registering_schools
from rooms.models import Unit
from scheduling.errors import SchedulingError
from scheduling.services.documents import document_checked_name

MAX_DOCUMENTS = 5


@dataclass(frozen=True)
class ContestantInput:
    """What the registration form gives."""

    school: Unit
    subject: Subject
    teacher_name: str
    teacher_email: str
    lesson_title: str
    class_name: str
    documents: list[UploadedFile]


@transaction.atomic
def contestant_register(*, competition: Competition, data: ContestantInput, by: User) -> Contestant:
    """Register a teacher while registration is open, for a school the person may act for."""
    if competition.status != Status.OPEN:
        raise WrongStage(_("Registration for this competition is not open."))
    if not registering_schools(by, competition).filter(pk=data.school.pk).exists():
        raise CompetitionError(_("You may register teachers of your own school only."))
    if data.subject.competition_id != competition.pk:
        raise CompetitionError(_("Choose one of this competition's subjects."))
    if len(data.documents) > MAX_DOCUMENTS:
        raise CompetitionError(_("Attach at most 5 documents."))
    try:
        names = [document_checked_name(upload) for upload in data.documents]
    except SchedulingError as error:
        raise CompetitionError(str(error)) from error
    contestant = Contestant.objects.create(
        competition=competition,
        school=data.school,
        subject=data.subject,
        teacher_name=data.teacher_name,
        teacher_email=data.teacher_email,
        lesson_title=data.lesson_title,
        class_name=data.class_name,
        registered_by=by,
    )
    for upload, name in zip(data.documents, names, strict=True):
        ContestantDocument.objects.create(
            contestant=contestant, file=upload, name=name, size=upload.size or 0
        )
    return contestant


@transaction.atomic
def contestant_withdraw(*, contestant: Contestant, by: User) -> None:
    """Take a registration back while registration is still open."""
    competition = contestant.competition
    if competition.status != Status.OPEN:
        raise WrongStage(_("Registration is closed: ask the organiser to withdraw a teacher."))
    if not registering_schools(by, competition).filter(pk=contestant.school_id).exists():
        raise CompetitionError(_("You may register teachers of your own school only."))
    contestant.delete()
