"""Small readers for environment variables (no Django import: settings use them)."""

from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no variable; anything unrecognised is a configuration error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_list(name: str, *, default: list[str]) -> list[str]:
    """Read a comma-separated list; empty items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rates(name: str) -> dict[str, tuple[float, int]]:
    """Read ``bucket=every/burst,...`` (one try every ``every`` seconds, ``burst`` at once).

    ``MEET_LIVE_ABUSE_RATES="join_address=0.05/1200,chat_user=0.5/20"`` widens two buckets
    and leaves the others at their defaults; unset or empty gives ``{}``.
    """
    rates: dict[str, tuple[float, int]] = {}
    for item in env_list(name, default=[]):
        bucket, sep, value = item.partition("=")
        every, slash, burst = value.partition("/")
        try:
            if not (sep and slash and bucket.strip()):
                raise ValueError
            rates[bucket.strip()] = (float(every), int(burst))
        except ValueError:
            raise ValueError(
                f"{name}: write each limit as bucket=every_secs/burst, e.g. join_address=0.1/600;"
                f" got {item!r}."
            ) from None
    return rates
