"""Readiness of a site against C53 Art. 18.3, as tables."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rooms.domain.readiness import (
    Caution,
    Item,
    Need,
    SelfTest,
    Shortfall,
    compute_readiness,
    selftest_passed,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
# Every item Art. 18.3 asks for, in working order.
FULL = dict.fromkeys(
    ("webcam", "computer", "loudspeaker", "microphone", "amplifier", "mixer", "tv"), "working"
)
GOOD_TEST = SelfTest(
    at=NOW - timedelta(days=1),
    camera_ok=True,
    microphone_ok=True,
    speakers_ok=True,
    rtt_ms=40.0,
    download_mbps=20.0,
)


def items(statuses: dict[str, str], checked: date | None = TODAY) -> list[Item]:
    return [Item(kind=k, status=s, checked_on=checked) for k, s in statuses.items()]


def test_full_checklist_is_ready() -> None:
    readiness = compute_readiness(items(FULL), selftest=GOOD_TEST, now=NOW)
    assert readiness.ready
    assert readiness.shortfalls == ()
    assert readiness.cautions == ()
    assert readiness.last_checked == TODAY


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"webcam": "missing"}, [Shortfall(Need.CAMERA, faulty=False)]),
        ({"webcam": "faulty"}, [Shortfall(Need.CAMERA, faulty=True)]),
        ({"computer": "faulty"}, [Shortfall(Need.COMPUTER, faulty=True)]),
        ({"loudspeaker": "missing"}, [Shortfall(Need.LOUDSPEAKER, faulty=False)]),
        ({"microphone": "faulty"}, [Shortfall(Need.MICROPHONE, faulty=True)]),
        ({"amplifier": "missing"}, [Shortfall(Need.AMPLIFIER, faulty=False)]),
        ({"mixer": "faulty"}, [Shortfall(Need.MIXER, faulty=True)]),
        ({"tv": "missing"}, [Shortfall(Need.DISPLAY, faulty=False)]),
        (
            {"webcam": "missing", "tv": "faulty"},
            [Shortfall(Need.CAMERA, faulty=False), Shortfall(Need.DISPLAY, faulty=True)],
        ),
    ],
)
def test_each_need_of_article_18_3(change: dict[str, str], expected: list[Shortfall]) -> None:
    readiness = compute_readiness(items({**FULL, **change}), selftest=GOOD_TEST, now=NOW)
    assert not readiness.ready
    assert list(readiness.shortfalls) == expected


@pytest.mark.parametrize(
    ("extra", "ready"),
    [
        ([Item("video_camera", "working")], True),  # a video camera replaces the webcam
        ([Item("webcam", "faulty")], False),  # two faulty webcams are no camera
        ([Item("projector", "working")], True),  # a projector replaces the TV
    ],
)
def test_alternatives_within_a_category(extra: list[Item], ready: bool) -> None:
    base = items({**FULL, "webcam": "faulty", "tv": "working"})
    if extra[0].kind == "projector":
        base = items({**FULL, "tv": "missing"})
    readiness = compute_readiness([*base, *extra], selftest=GOOD_TEST, now=NOW)
    assert readiness.ready is ready


def test_empty_checklist_lacks_everything() -> None:
    readiness = compute_readiness([], selftest=None, now=NOW)
    assert [s.need for s in readiness.shortfalls] == list(Need)
    assert Caution.NEVER_CHECKED in readiness.cautions
    assert Caution.NO_SELFTEST in readiness.cautions


def test_a_working_line_with_quantity_zero_counts_as_none() -> None:
    checklist = [*items({**FULL, "webcam": "missing"}), Item("webcam", "working", quantity=0)]
    assert not compute_readiness(checklist, selftest=GOOD_TEST, now=NOW).ready


@pytest.mark.parametrize(
    ("checked", "selftest", "cautions"),
    [
        (TODAY, GOOD_TEST, []),
        (TODAY - timedelta(days=91), GOOD_TEST, [Caution.CHECKLIST_STALE]),
        (TODAY - timedelta(days=90), GOOD_TEST, []),
        (None, GOOD_TEST, [Caution.NEVER_CHECKED]),
        (TODAY, None, [Caution.NO_SELFTEST]),
        (
            TODAY,
            SelfTest(NOW - timedelta(days=31), True, True, True, 40.0, 20.0),
            [Caution.SELFTEST_STALE],
        ),
        (
            TODAY,
            SelfTest(NOW, True, False, True, 40.0, 20.0),
            [Caution.SELFTEST_FAILED],
        ),
    ],
)
def test_cautions(checked: date | None, selftest: SelfTest | None, cautions: list[Caution]) -> None:
    readiness = compute_readiness(items(FULL, checked), selftest=selftest, now=NOW)
    assert readiness.ready  # cautions never make a site "not ready"
    assert list(readiness.cautions) == cautions


@pytest.mark.parametrize(
    ("rtt", "mbps", "passed"),
    [
        (40.0, 20.0, True),
        (300.0, 1.0, True),
        (301.0, 20.0, False),
        (40.0, 0.9, False),
        (None, 20.0, False),
        (40.0, None, False),
    ],
)
def test_selftest_connection_thresholds(
    rtt: float | None, mbps: float | None, passed: bool
) -> None:
    assert selftest_passed(SelfTest(NOW, True, True, True, rtt, mbps)) is passed
