"""Inviting sites by rule, queueing their iTIP invitation mails, and their replies."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from realtime.ratelimit import Rate, get_store
from rooms.models import Province, Room, Unit, UnitKind
from rooms.permissions import AnyUser, acting_pk
from scheduling.errors import PeopleRefused, SchedulingError, TooManyLookups
from scheduling.ical import calendar_for
from scheduling.models import (
    Invitation,
    InvitationRule,
    MeetingReply,
    Occurrence,
    PersonInvitation,
    Reply,
    RuleKind,
    Session,
)
from scheduling.services.outbox import MailDraft, mail_queue


@dataclass(frozen=True)
class RuleInput:
    """One invitation rule as a form or the API gives it."""

    kind: str
    unit: Unit | None = None
    province: Province | None = None
    level: str = ""


def rule_units(rule: InvitationRule | RuleInput) -> QuerySet[Unit]:
    """The units a rule names today."""
    if rule.kind == RuleKind.UNIT:
        return Unit.objects.filter(pk=rule.unit.pk) if rule.unit else Unit.objects.none()
    if rule.kind == RuleKind.DISTRICTS:
        return Unit.objects.filter(kind=UnitKind.DISTRICT, province=rule.province)
    if rule.kind == RuleKind.COMMUNES:
        return Unit.objects.filter(kind=UnitKind.COMMUNE, province=rule.province)
    if rule.kind == RuleKind.SCHOOLS:
        schools = Unit.objects.filter(kind=UnitKind.SCHOOL, province=rule.province)
        return schools.filter(level=rule.level) if rule.level else schools
    if rule.kind == RuleKind.UNDER and rule.unit is not None:
        # Three levels below a unit reach from a department to its schools.
        under = (
            Q(parent=rule.unit) | Q(parent__parent=rule.unit) | Q(parent__parent__parent=rule.unit)
        )
        return Unit.objects.filter(under)
    return Unit.objects.none()


def _check(rule: RuleInput) -> None:
    needs_province = rule.kind in (RuleKind.DISTRICTS, RuleKind.COMMUNES, RuleKind.SCHOOLS)
    if needs_province and rule.province is None:
        raise SchedulingError(_("Choose the province of the units to invite."))
    if rule.kind in (RuleKind.UNIT, RuleKind.UNDER) and rule.unit is None:
        raise SchedulingError(_("Choose the unit to invite."))


@transaction.atomic
def invitations_set(*, session: Session, rules: Iterable[RuleInput]) -> int:
    """Replace a session's invitation rules and resolve them; return the invited count."""
    listed = list(rules)
    for rule in listed:
        _check(rule)
    session.rules.all().delete()
    InvitationRule.objects.bulk_create(
        InvitationRule(
            session=session, kind=r.kind, unit=r.unit, province=r.province, level=r.level
        )
        for r in listed
    )
    return invitations_resolve(session=session)


@transaction.atomic
def invitations_resolve(*, session: Session) -> int:
    """Invite every unit the rules name now; drop units no longer named that never replied."""
    wanted: set[int] = set()
    for rule in session.rules.select_related("unit", "province"):
        wanted |= set(rule_units(rule).values_list("pk", flat=True))
    wanted.discard(session.host_unit_id)
    have = dict(session.invitations.values_list("unit_id", "pk"))
    Invitation.objects.bulk_create(
        Invitation(session=session, unit_id=unit_id) for unit_id in wanted - set(have)
    )
    session.invitations.filter(unit_id__in=set(have) - wanted, reply=Reply.PENDING).delete()
    return len(wanted)


def invitations_resolve_all() -> int:
    """Re-resolve the rules of every session still to come (the directory may have changed)
    and queue the invitations of the units a rule names now."""
    upcoming = Session.objects.filter(
        cancelled=False, occurrences__end__gte=timezone.now()
    ).distinct()
    invited = 0
    for session in upcoming:
        with transaction.atomic():
            invited += invitations_resolve(session=session)
            invitations_queue(session=session)
    return invited


def _site_room(invitation: Invitation) -> Room | None:
    return Room.objects.filter(unit=invitation.unit).select_related("manager").first()


def _recipients(invitation: Invitation, room: Room | None) -> list[str]:
    """The site's official mailbox (C53 Art. 8) and its room manager's address."""
    addresses = [invitation.unit.mailbox]
    if room is not None and room.manager is not None:
        addresses.append(room.manager.email)
    return sorted({a for a in addresses if a})


def _page(path: str) -> str:
    return f"https://{settings.MEET_ROOM_HOST}{path}"


def invitation_draft(session: Session, to: list[str], method: str, page: str) -> MailDraft:
    """The iTIP mail of a series: a REQUEST (or a CANCEL) with the answer page's address.

    Replies by mail are not read, so the calendar asks for none (RSVP=FALSE) and the text
    sends the site to ``page``, where it answers."""
    if method == "CANCEL":
        subject = _("Cancelled: %(title)s") % {"title": session.title}
        body = _("The meeting “%(title)s” in the room %(address)s is cancelled.")
    else:
        subject = _("Invitation: %(title)s") % {"title": session.title}
        body = _(
            "%(host)s invites your unit to “%(title)s” in the online room %(address)s. "
            "The dates are in the calendar of this mail. Do not reply to this mail: "
            "answer whether you will attend on the invitation page, %(page)s"
        )
    text = body % {
        "title": session.title,
        "address": session.room.address,
        "host": session.host_unit.name,
        "page": page,
    }
    ics = calendar_for([session], name=session.title, method=method, attendees=to)
    return MailDraft(
        kind="cancel" if method == "CANCEL" else "invitation",
        to=tuple(to),
        subject=subject,
        body=text,
        calendar=ics.decode(),
        calendar_method=method,
        calendar_name=str(session.uid),
    )


@transaction.atomic
def invitations_queue(*, session: Session) -> int:
    """Queue a REQUEST (or CANCEL) for each site and person not yet told of this SEQUENCE."""
    method = "CANCEL" if session.cancelled else "REQUEST"
    sites = list(
        session.invitations.select_related("unit").filter(sent_sequence__lt=session.sequence)
    )
    people = list(session.people.select_related("user").filter(sent_sequence__lt=session.sequence))
    drafts = []
    for invitation in sites:
        room = _site_room(invitation)
        page = reverse("scheduling:site-invitations", args=[room.slug]) if room else "/calendar/"
        drafts.append(invitation_draft(session, _recipients(invitation, room), method, _page(page)))
    agenda = _page(reverse("scheduling:agenda"))
    drafts += [
        invitation_draft(session, [p.user.email], method, agenda) for p in people if p.user.email
    ]
    queued = mail_queue(drafts=drafts, session=session)
    Invitation.objects.filter(pk__in=[i.pk for i in sites]).update(sent_sequence=session.sequence)
    PersonInvitation.objects.filter(pk__in=[p.pk for p in people]).update(
        sent_sequence=session.sequence
    )
    return queued


def invite_lookup_rate() -> Rate:
    """``MEET_INVITE_LOOKUP_RATE = (every_secs, burst)``: the names one scheduler may look
    up — 100 at once, then one every 36 s (100 an hour)."""
    every, burst = getattr(settings, "MEET_INVITE_LOOKUP_RATE", (36.0, 100))
    return Rate(every_secs=float(every), burst=int(burst))


def _spend_lookups(by: AnyUser, count: int) -> None:
    """Take one try per name from the scheduler's bucket, or refuse with the wait."""
    store, rate, key = get_store(), invite_lookup_rate(), f"invite-lookup:user:{acting_pk(by)}"
    for _name in range(count):
        wait = store.spend(key, rate)
        if wait:
            raise TooManyLookups(math.ceil(wait))


def _invitable(name: str) -> User | None:
    return User.objects.filter(Q(username=name) | Q(email__iexact=name), is_active=True).first()


@transaction.atomic
def people_invite(*, session: Session, names: Iterable[str], by: AnyUser) -> list[User]:
    """Invite people by user name or e-mail address.

    The answer never tells whether an account exists: an unknown name and a deactivated
    account are refused in the same words. Each name looked up counts against the
    scheduler's allowance, which bounds guessing who has an account."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not wanted:
        return []
    _spend_lookups(by, len(wanted))
    found = {name: _invitable(name) for name in wanted}
    refused = [name for name, user in found.items() if user is None]
    if refused:
        raise PeopleRefused(refused)
    people = [user for user in found.values() if user is not None]
    for user in people:
        PersonInvitation.objects.get_or_create(session=session, user=user)
    return people


@transaction.atomic
def meeting_reply(
    *, invitation: Invitation, occurrence: Occurrence, reply: str, reason: str
) -> MeetingReply:
    """A site's answer for one meeting of a series."""
    if occurrence.session_id != invitation.session_id:
        raise SchedulingError(_("This meeting is not part of the invitation."))
    if reply not in (Reply.YES, Reply.NO):
        raise SchedulingError(_("Answer whether the site will attend."))
    if reply == Reply.NO and not reason.strip():
        raise SchedulingError(_("Say why the site cannot attend."))
    answer, _created = MeetingReply.objects.update_or_create(
        invitation=invitation,
        occurrence=occurrence,
        defaults={"reply": reply, "reason": reason.strip()[:300]},
    )
    return answer


def invitations_queue_on_commit(session: Session) -> None:
    """Queue the mails once the change is committed, so none announces a change rolled back
    and each carries the change's final SEQUENCE."""
    transaction.on_commit(lambda: invitations_queue(session=Session.objects.get(pk=session.pk)))


@transaction.atomic
def invitation_reply(*, invitation: Invitation, reply: str, reason: str, by: User) -> Invitation:
    """Record a site's answer: will attend, or cannot attend with a reason."""
    if reply not in (Reply.YES, Reply.NO):
        raise SchedulingError(_("Answer whether the site will attend."))
    if reply == Reply.NO and not reason.strip():
        raise SchedulingError(_("Say why the site cannot attend."))
    invitation.reply, invitation.reason = reply, reason.strip()[:300]
    invitation.replied_at, invitation.replied_by = timezone.now(), by
    invitation.save(update_fields=["reply", "reason", "replied_at", "replied_by"])
    return invitation
