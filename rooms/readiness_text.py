"""Readiness in words, for pages and the API, in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext as _

from rooms.domain.readiness import Caution, Need, Readiness, Shortfall


def _need_names() -> dict[Need, str]:
    return {
        Need.CAMERA: _("a webcam or a video camera"),
        Need.COMPUTER: _("a computer connected to the Internet"),
        Need.LOUDSPEAKER: _("loudspeakers"),
        Need.MICROPHONE: _("a microphone"),
        Need.AMPLIFIER: _("an amplifier"),
        Need.MIXER: _("a mixer"),
        Need.DISPLAY: _("a TV screen or a projector"),
    }


def shortfall_text(shortfall: Shortfall) -> str:
    """ "Missing: a microphone" or "Faulty: a mixer"."""
    name = _need_names()[shortfall.need]
    if shortfall.faulty:
        return _("Faulty, none working: %(item)s") % {"item": name}
    return _("Missing: %(item)s") % {"item": name}


def caution_text(caution: Caution) -> str:
    """A sentence for something the manager should look at."""
    return {
        Caution.NEVER_CHECKED: _("The checklist has never been confirmed."),
        Caution.CHECKLIST_STALE: _("Some equipment was last checked more than 90 days ago."),
        Caution.NO_SELFTEST: _("No browser self-test has been run at this site."),
        Caution.SELFTEST_STALE: _("The last browser self-test is more than 30 days old."),
        Caution.SELFTEST_FAILED: _("The last browser self-test found a problem."),
    }[caution]


def shortfalls_line(readiness: Readiness) -> str:
    """Everything that keeps a site from being ready, in one short line for tables."""
    missing = [_need_names()[s.need] for s in readiness.shortfalls if not s.faulty]
    faulty = [_need_names()[s.need] for s in readiness.shortfalls if s.faulty]
    parts = []
    if missing:
        parts.append(_("Missing: %(items)s") % {"items": ", ".join(missing)})
    if faulty:
        parts.append(_("Faulty: %(items)s") % {"items": ", ".join(faulty)})
    return "; ".join(parts)


def readiness_summary(readiness: Readiness) -> str:
    """ "Ready" or "Not ready: …" in one line."""
    if readiness.ready:
        return _("Ready")
    missing = "; ".join(shortfall_text(s) for s in readiness.shortfalls)
    return _("Not ready: %(missing)s") % {"missing": missing}
