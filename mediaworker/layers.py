"""Which layer of each video a subscriber receives, within its link's budget.

Plain Python. A camera and a screen share are published twice (docs/media.md
"Layers"): the high layer (e.g. 640×360 ~1 Mbps) and a low one (320×180 ~150 kbit/s;
the screen at a few frames a second). For each subscriber the router lists the videos
its slots should carry, most important first, and asks ``allocate`` which layer each
gets: audio is paid for first and never paused; then every video gets its low layer
while it fits, in order (the rest are paused: last-N shrinks down to the most
important video, then to audio only); then the videos shown large get their high layer
while it fits, in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

KEEP = 0.85  # what keeping a layer already shown is counted at, of its rate
HIGH = "high"
LOW = "low"
OFF = "off"


@dataclass(frozen=True)
class Want:
    """One video a subscriber's slots should carry."""

    key: str  # "<peer>/<source>"
    high_bps: float
    low_bps: float | None  # None: the publisher sends no low layer
    large: bool  # shown large (or a screen share): deserves the high layer


@dataclass(frozen=True)
class Allocation:
    """The layer of each wanted video and what the subscriber is told of it."""

    layers: dict[str, str]  # key -> HIGH | LOW | OFF
    state: str  # "ok" | "reduced" | "speaker" | "audio" (wire.BANDWIDTH_STATES)
    needed_bps: float | None  # what the next step up would need in all; None: at the top
    top_bps: float | None = None  # what every video at its best would need in all


def allocate(
    wants: Sequence[Want],
    budget_bps: float | None,
    audio_bps: float,
    current: Mapping[str, str] | None = None,
) -> Allocation:
    """Fit ``wants`` (most important first) into ``budget_bps`` (None: no limit known).

    ``current``: the layers shown now. Keeping one costs ``KEEP`` of its rate, so a
    budget near a step does not switch a layer off and on as rates wobble.
    """
    current = current or {}
    left = float("inf") if budget_bps is None else budget_bps - audio_bps
    layers: dict[str, str] = {}
    spent = audio_bps
    next_step: float | None = None
    for want in wants:
        cost = want.low_bps if want.low_bps is not None else want.high_bps
        shown = current.get(want.key, OFF) != OFF
        if (cost * KEEP if shown else cost) <= left and not (layers and OFF in layers.values()):
            layers[want.key] = LOW if want.low_bps is not None else HIGH
            left -= cost
            spent += cost
        else:
            layers[want.key] = OFF
            if next_step is None:
                next_step = cost
    for want in wants:
        if layers[want.key] != LOW or not want.large:
            continue
        extra = want.high_bps - (want.low_bps or 0.0)
        if (extra * KEEP if current.get(want.key) == HIGH else extra) <= left:
            layers[want.key] = HIGH
            left -= extra
            spent += extra
        elif next_step is None:
            next_step = extra
    top = audio_bps + sum(
        want.high_bps if want.large or want.low_bps is None else want.low_bps for want in wants
    )
    return Allocation(
        layers=layers,
        state=_state(wants, layers),
        needed_bps=None if next_step is None else spent + next_step,
        top_bps=None if next_step is None else top,
    )


def _state(wants: Sequence[Want], layers: dict[str, str]) -> str:
    shown = sum(1 for layer in layers.values() if layer != OFF)
    if shown < len(wants):
        return "audio" if shown == 0 else "speaker" if shown == 1 else "reduced"
    degraded = any(w.large and w.low_bps is not None and layers[w.key] != HIGH for w in wants)
    return "reduced" if degraded else "ok"
