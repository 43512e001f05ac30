"""May the public see a recording's files now? One rule for every public route.

A recording is public in two cases only:

* it is a **live public broadcast**: a broadcast recording still running, of a meeting
  scheduled as a webinar (or of no scheduled meeting: the host chose to broadcast);
* its **archive entry is published**. Once an entry exists, an editor's decision is
  final: pending, unpublished and rejected entries are not public, whatever the state.

Meetings' recordings are never public; nor is a broadcast between its end and an
editor's approval.
"""

from __future__ import annotations

from dataclasses import dataclass

PUBLISHED = "published"  # archive.models.EntryStatus.PUBLISHED


@dataclass(frozen=True)
class RecordingFacts:
    """What the rule needs to know about one recording."""

    broadcast: bool  # recorded as a broadcast (not a meeting)
    running: bool  # still recording (the live program)
    webinar: bool  # its meeting is scheduled as a public broadcast, or it has no meeting
    entry_status: str = ""  # its archive entry's status; "" when it has none yet


def public_now(facts: RecordingFacts) -> bool:
    """True when anyone, signed in or not, may fetch the recording's files now."""
    if not facts.broadcast:
        return False
    if facts.entry_status:
        return facts.entry_status == PUBLISHED
    return facts.running and facts.webinar
