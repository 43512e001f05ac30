"""Slot selection (last-N, top-N audio, screens) and dominant speaker detection."""

from __future__ import annotations

import pytest

from mediaworker.slots import Candidate, assign, rank_audio, rank_cameras, rank_screens
from mediaworker.speakers import SpeakerDetector


@pytest.mark.parametrize(
    ("current", "ranked", "expected"),
    [
        ([None, None], ["a", "b", "c"], ["a", "b"]),
        (["b", None], ["a", "b", "c"], ["b", "a"]),  # b stays where it is
        (["c", "b"], ["a", "b"], ["a", "b"]),  # c no longer wanted: a takes its slot
        (["a", "b"], ["b"], [None, "b"]),
        ([None], [], [None]),
        ([], ["a"], []),
    ],
)
def test_assign_keeps_placed_sources_still(current, ranked, expected) -> None:
    assert assign(current, ranked) == expected


def test_cameras_rank_preferred_then_recent_speakers_then_join_order() -> None:
    candidates = [
        Candidate("p1/camera", "p1", joined=1),
        Candidate("p2/camera", "p2", joined=2, last_active=10.0),
        Candidate("p3/camera", "p3", joined=3, last_active=20.0),
        Candidate("p4/camera", "p4", joined=4),
        Candidate("p0/camera", "p0", joined=0),
    ]
    assert rank_cameras(candidates, preferred=["p4"]) == [
        "p4/camera",
        "p3/camera",
        "p2/camera",
        "p0/camera",
        "p1/camera",
    ]


def test_audio_ranks_recent_speakers_and_screens_the_oldest_share() -> None:
    mics = [Candidate("a/mic", "a", 0), Candidate("b/mic", "b", 1, last_active=5.0)]
    assert rank_audio(mics) == ["b/mic", "a/mic"]
    screens = [
        Candidate("a/screen", "a", 0, started=9.0),
        Candidate("b/screen", "b", 1, started=3.0),
    ]
    assert rank_screens(screens) == ["b/screen", "a/screen"]


def test_speaker_needs_to_stay_loudest_before_taking_over() -> None:
    detector = SpeakerDetector(threshold=70, hold_ticks=2)
    assert detector.update({"a": 100, "b": 0}, now=1.0) is True  # nobody yet: at once
    assert detector.dominant == "a"
    assert detector.update({"a": 60, "b": 95}, now=2.0) is False  # a cough...
    assert detector.update({"a": 100, "b": 50}, now=3.0) is False
    assert detector.dominant == "a"
    assert detector.update({"a": 50, "b": 95}, now=4.0) is False
    assert detector.update({"a": 50, "b": 95}, now=5.0) is True  # ...or a new speaker
    assert detector.dominant == "b"
    assert detector.last_active == {"a": 3.0, "b": 5.0}


def test_silence_keeps_the_last_speaker_and_leaving_clears_it() -> None:
    detector = SpeakerDetector(threshold=70, hold_ticks=2)
    detector.update({"a": 90}, now=1.0)
    assert detector.update({"a": 0, "b": 10}, now=2.0) is False
    assert detector.dominant == "a"
    assert detector.forget("a") is True
    assert detector.dominant is None
