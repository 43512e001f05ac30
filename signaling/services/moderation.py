"""What hosts do to participants: mute, stop video, remove, make presenter; raised hands."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from signaling import selectors
from signaling.domain.protocol.serializers import event
from signaling.errors import SignalingError
from signaling.events import notify_peer, notify_room
from signaling.models import LiveRole, Participant, ParticipantState
from signaling.services.meetings import actor, announce_update, target


def _silence(participant: Participant, source: str, by: str) -> None:
    if source == "mic":
        participant.audio_on = False
    else:
        participant.video_on = False
    participant.save(update_fields=["audio_on", "video_on"])
    announce_update(participant)
    notify_peer(participant.channel_name, {"action": "muted", "source": source, "by": by})


@transaction.atomic
def participant_mute(*, actor_peer: str, peer: str, source: str = "mic") -> str:
    """A host turns off one participant's microphone (or camera); returns the target."""
    host = actor(actor_peer, host=True)
    person = target(host.meeting_id, peer)
    person.meeting = host.meeting
    _silence(person, source, host.name)
    return person.peer


@transaction.atomic
def participants_mute_all(*, actor_peer: str) -> list[str]:
    """A host turns off every microphone but the hosts'; returns whose."""
    host = actor(actor_peer, host=True)
    people = list(selectors.live(host.meeting_id).exclude(role=LiveRole.HOST).exclude(pk=host.pk))
    for person in people:
        person.meeting = host.meeting
        _silence(person, "mic", host.name)
    return [person.peer for person in people]


@transaction.atomic
def participant_remove(*, actor_peer: str, peer: str) -> str:
    """A host removes somebody from the meeting; they cannot come back to it."""
    host = actor(actor_peer, host=True)
    if peer == host.peer:
        raise SignalingError("no_peer")
    person = target(host.meeting_id, peer, states=(ParticipantState.JOINED, ParticipantState.LOBBY))
    was = person.state
    person.state, person.left_at, person.hand_raised_at = (
        ParticipantState.REMOVED,
        timezone.now(),
        None,
    )
    person.save(update_fields=["state", "left_at", "hand_raised_at"])
    slug = host.meeting.room.slug
    if was == ParticipantState.LOBBY:
        notify_room(slug, event("lobby.left", peer=peer), hosts_only=True)
    else:
        notify_room(slug, event("participant.left", peer=peer, reason="removed"))
    notify_peer(person.channel_name, {"action": "removed", "by": host.name})
    return person.peer


@transaction.atomic
def participant_presenter(*, actor_peer: str, peer: str, on: bool) -> None:
    """A host makes somebody the presenter (slides, polls) or takes it back."""
    host = actor(actor_peer, host=True)
    person = target(host.meeting_id, peer)
    person.meeting = host.meeting
    person.presenter = on
    person.save(update_fields=["presenter"])
    announce_update(person)


def _announce_hands(participant: Participant) -> None:
    notify_room(
        participant.meeting.room.slug, event("hands", queue=selectors.hands(participant.meeting_id))
    )


@transaction.atomic
def hand_raise(*, actor_peer: str) -> None:
    """Raise one's hand; hands are answered in the order they went up."""
    person = actor(actor_peer)
    if person.hand_raised_at is None:
        person.hand_raised_at = timezone.now()
        person.save(update_fields=["hand_raised_at"])
        announce_update(person)
        _announce_hands(person)


@transaction.atomic
def hand_lower(*, actor_peer: str, peer: str = "") -> None:
    """Lower one's own hand, or (a host) somebody else's."""
    person = actor(actor_peer, host=bool(peer) and peer != actor_peer)
    if peer and peer != actor_peer:
        other = target(person.meeting_id, peer)
        other.meeting = person.meeting
        person = other
    if person.hand_raised_at is not None:
        person.hand_raised_at = None
        person.save(update_fields=["hand_raised_at"])
        announce_update(person)
        _announce_hands(person)


@transaction.atomic
def participant_media(
    *, peer: str, audio: bool, video: bool, screen: bool, listen: bool = False
) -> bool:
    """What a participant sends now (from the browser's track list) and whether it only
    listens; True if it changed."""
    person = actor(peer)
    now = (audio, video, screen, listen)
    if (person.audio_on, person.video_on, person.screen_on, person.listen_only) == now:
        return False
    person.audio_on, person.video_on, person.screen_on, person.listen_only = now
    person.save(update_fields=["audio_on", "video_on", "screen_on", "listen_only"])
    announce_update(person)
    return True


@transaction.atomic
def participant_link(*, peer: str, level: str) -> bool:
    """The media worker's measure of a participant's link; True if it changed (announced)."""
    person = actor(peer)
    if person.link == level:
        return False
    person.link = level
    person.save(update_fields=["link"])
    announce_update(person)
    return True
