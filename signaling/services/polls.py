"""Polls: a host or presenter asks, everybody answers, results are live and stored."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from signaling import selectors
from signaling.domain.protocol.serializers import event, serialize_poll
from signaling.errors import SignalingError
from signaling.events import notify_room
from signaling.models import Poll, PollOption, PollVote
from signaling.services.meetings import actor


@transaction.atomic
def poll_create(*, actor_peer: str, question: str, options: tuple[str, ...], multiple: bool) -> int:
    """Open a poll in the meeting; returns its id."""
    person = actor(actor_peer, presenter=True)
    poll = Poll.objects.create(
        meeting_id=person.meeting_id, question=question, multiple=multiple, created_by=person.name
    )
    PollOption.objects.bulk_create(
        PollOption(poll=poll, position=position, text=text) for position, text in enumerate(options)
    )
    notify_room(
        person.meeting.room.slug,
        event("poll.opened", poll=serialize_poll(selectors.poll_view(poll))),
    )
    return poll.pk


def _poll_of(person_meeting_id: int, poll_id: int) -> Poll:
    poll = Poll.objects.select_for_update().filter(pk=poll_id, meeting_id=person_meeting_id).first()
    if poll is None:
        raise SignalingError("no_poll")
    return poll


@transaction.atomic
def poll_vote(*, actor_peer: str, poll_id: int, choices: tuple[int, ...]) -> str:
    """Record (or change) one person's answer; returns the room's slug for the results."""
    person = actor(actor_peer)
    poll = _poll_of(person.meeting_id, poll_id)
    if poll.closed_at is not None:
        raise SignalingError("poll_closed")
    if not poll.multiple and len(choices) != 1:
        raise SignalingError("one_choice")
    options = {option.position: option for option in poll.options.all()}
    if any(choice not in options for choice in choices):
        raise SignalingError("bad_choice")
    PollVote.objects.filter(poll=poll, identity=person.identity).delete()
    PollVote.objects.bulk_create(
        PollVote(poll=poll, option=options[choice], identity=person.identity) for choice in choices
    )
    return person.meeting.room.slug


@transaction.atomic
def poll_results_announce(*, slug: str, poll_id: int) -> None:
    """Send a poll's results now (votes are announced together, a few times a second)."""
    poll = Poll.objects.filter(pk=poll_id).first()
    if poll is not None:
        notify_room(slug, event("poll.results", poll=serialize_poll(selectors.poll_view(poll))))


@transaction.atomic
def poll_close(*, actor_peer: str, poll_id: int) -> None:
    """Close a poll: no more answers; its results stay with the meeting."""
    person = actor(actor_peer, presenter=True)
    poll = _poll_of(person.meeting_id, poll_id)
    if poll.closed_at is None:
        poll.closed_at = timezone.now()
        poll.save(update_fields=["closed_at"])
    notify_room(
        person.meeting.room.slug,
        event("poll.closed", poll=serialize_poll(selectors.poll_view(poll))),
    )
