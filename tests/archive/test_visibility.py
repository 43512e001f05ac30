"""The one rule of what the public may see (archive/domain/visibility.py), as a table."""

from __future__ import annotations

import pytest

from archive.domain.visibility import PUBLISHED, RecordingFacts, public_now
from archive.models import EntryStatus

B, M = True, False  # a broadcast's recording, a meeting's


@pytest.mark.parametrize(
    ("broadcast", "running", "webinar", "entry", "public"),
    [
        # running, no archive entry yet: public only for a public broadcast
        (B, True, True, "", True),
        (B, True, False, "", False),  # a private meeting recorded as a "broadcast"
        (M, True, True, "", False),
        (M, True, False, "", False),
        # ended (finishing, ready, failed), no entry yet: waits for an editor
        (B, False, True, "", False),
        (M, False, False, "", False),
        # an entry exists: the editor's word decides, whatever the recording's state
        (B, False, True, "pending", False),
        (B, False, True, "published", True),
        (B, False, False, "published", True),  # an editor chose to publish it
        (B, False, True, "unpublished", False),
        (B, False, True, "rejected", False),
        (B, True, True, "unpublished", False),
        (B, True, True, "rejected", False),
        (M, False, True, "published", False),  # meetings never: not even by mistake
    ],
)
def test_public_now(
    broadcast: bool, running: bool, webinar: bool, entry: str, public: bool
) -> None:
    """Issue 10, row 2: one table for every public route of a recording."""
    facts = RecordingFacts(
        broadcast=broadcast, running=running, webinar=webinar, entry_status=entry
    )
    assert public_now(facts) is public


def test_the_domain_and_the_model_name_the_published_status_alike() -> None:
    assert EntryStatus.PUBLISHED.value == PUBLISHED
    assert {"pending", "published", "unpublished", "rejected"} == set(EntryStatus.values)
