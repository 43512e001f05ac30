"""Readiness of a meeting site from its equipment checklist (C53 Art. 18.3).

A site is ready when each of the four categories of Art. 18.3 has what it needs in
working order: (a) a webcam or a video camera; (b) one to two computers connected
to the Internet; (c) loudspeakers, microphone, amplifier and mixer; (d) a TV screen
or a projector. Staleness of the checklist and of the browser self-test are cautions:
they do not make a site "not ready", but the manager should look.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

WORKING = "working"
FAULTY = "faulty"

CHECKLIST_STALE_AFTER = timedelta(days=90)
SELFTEST_STALE_AFTER = timedelta(days=30)
SELFTEST_MAX_RTT_MS = 300.0
SELFTEST_MIN_DOWNLOAD_MBPS = 1.0


class Need(StrEnum):
    """One requirement of Art. 18.3; the value names what is missing."""

    CAMERA = "camera"
    COMPUTER = "computer"
    LOUDSPEAKER = "loudspeaker"
    MICROPHONE = "microphone"
    AMPLIFIER = "amplifier"
    MIXER = "mixer"
    DISPLAY = "display"


# Which equipment kinds satisfy each need, in the order a checklist is read.
SATISFIED_BY: dict[Need, frozenset[str]] = {
    Need.CAMERA: frozenset({"webcam", "video_camera"}),
    Need.COMPUTER: frozenset({"computer"}),
    Need.LOUDSPEAKER: frozenset({"loudspeaker"}),
    Need.MICROPHONE: frozenset({"microphone"}),
    Need.AMPLIFIER: frozenset({"amplifier"}),
    Need.MIXER: frozenset({"mixer"}),
    Need.DISPLAY: frozenset({"tv", "projector"}),
}

CATEGORY_OF: dict[Need, str] = {
    Need.CAMERA: "camera",
    Need.COMPUTER: "computer",
    Need.LOUDSPEAKER: "audio",
    Need.MICROPHONE: "audio",
    Need.AMPLIFIER: "audio",
    Need.MIXER: "audio",
    Need.DISPLAY: "display",
}

KIND_CATEGORY: dict[str, str] = {
    kind: CATEGORY_OF[need] for need, kinds in SATISFIED_BY.items() for kind in kinds
}


class Caution(StrEnum):
    NEVER_CHECKED = "never_checked"
    CHECKLIST_STALE = "checklist_stale"
    NO_SELFTEST = "no_selftest"
    SELFTEST_STALE = "selftest_stale"
    SELFTEST_FAILED = "selftest_failed"


@dataclass(frozen=True)
class Item:
    """One checklist line, as the rule needs it."""

    kind: str
    status: str
    quantity: int = 1
    checked_on: date | None = None


@dataclass(frozen=True)
class SelfTest:
    """The outcome of a browser self-test."""

    at: datetime
    camera_ok: bool
    microphone_ok: bool
    speakers_ok: bool
    rtt_ms: float | None
    download_mbps: float | None


@dataclass(frozen=True)
class Shortfall:
    """A need that is not met, and whether equipment for it exists but is faulty."""

    need: Need
    faulty: bool

    @property
    def category(self) -> str:
        return CATEGORY_OF[self.need]


@dataclass(frozen=True)
class Readiness:
    """Ready or not, with what is missing and what deserves a look."""

    shortfalls: tuple[Shortfall, ...]
    cautions: tuple[Caution, ...]
    last_checked: date | None
    last_selftest: SelfTest | None

    @property
    def ready(self) -> bool:
        return not self.shortfalls


def selftest_passed(test: SelfTest) -> bool:
    """Every device answered and the connection is good enough for video."""
    return (
        test.camera_ok
        and test.microphone_ok
        and test.speakers_ok
        and test.rtt_ms is not None
        and test.rtt_ms <= SELFTEST_MAX_RTT_MS
        and test.download_mbps is not None
        and test.download_mbps >= SELFTEST_MIN_DOWNLOAD_MBPS
    )


def _shortfall(need: Need, items: list[Item]) -> Shortfall | None:
    kinds = SATISFIED_BY[need]
    relevant = [item for item in items if item.kind in kinds and item.quantity > 0]
    if any(item.status == WORKING for item in relevant):
        return None
    return Shortfall(need=need, faulty=any(item.status == FAULTY for item in relevant))


def _cautions(items: list[Item], selftest: SelfTest | None, now: datetime) -> list[Caution]:
    cautions: list[Caution] = []
    dates = [item.checked_on for item in items if item.checked_on is not None]
    if not dates:
        cautions.append(Caution.NEVER_CHECKED)
    elif now.date() - min(dates) > CHECKLIST_STALE_AFTER:
        cautions.append(Caution.CHECKLIST_STALE)
    if selftest is None:
        cautions.append(Caution.NO_SELFTEST)
    else:
        if now - selftest.at > SELFTEST_STALE_AFTER:
            cautions.append(Caution.SELFTEST_STALE)
        if not selftest_passed(selftest):
            cautions.append(Caution.SELFTEST_FAILED)
    return cautions


def compute_readiness(
    items: Iterable[Item], *, selftest: SelfTest | None, now: datetime
) -> Readiness:
    """Judge a site's checklist against Art. 18.3 as of ``now`` (aware datetime)."""
    listed = list(items)
    shortfalls = tuple(
        shortfall for need in Need if (shortfall := _shortfall(need, listed)) is not None
    )
    dates = [item.checked_on for item in listed if item.checked_on is not None]
    return Readiness(
        shortfalls=shortfalls,
        cautions=tuple(_cautions(listed, selftest, now)),
        last_checked=max(dates) if dates else None,
        last_selftest=selftest,
    )
