"""Which school levels a course's level rule takes (C53 Art. 3.4's level codes)."""

from __future__ import annotations

# Level codes of schools that teach several levels name each of them: C23 holds C2 and C3.
SCHOOL_LEVELS = ("C0", "C1", "C2", "C3", "C12", "C23", "C123")


def levels_covering(level: str) -> tuple[str, ...]:
    """The unit levels whose teachers a rule for ``level`` takes: a single level (C2) takes
    every school that teaches it (C2, C12, C23, C123); another code only itself."""
    if level in ("C0", "C1", "C2", "C3"):
        digit = level[1]
        return tuple(code for code in SCHOOL_LEVELS if digit in code[1:])
    return (level,) if level else ()


def rule_levels_taking(unit_level: str) -> tuple[str, ...]:
    """The level rules that take a teacher of a unit of ``unit_level`` (the inverse of
    ``levels_covering``): a C23 school's teachers are taken by C2, C3 and C23 rules."""
    if not unit_level:
        return ()
    singles = tuple(
        single for single in ("C0", "C1", "C2", "C3") if unit_level in levels_covering(single)
    )
    return (*singles, unit_level) if unit_level not in singles else singles
