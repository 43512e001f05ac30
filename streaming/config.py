"""The media worker's settings, read from the environment when the worker starts.

- ``MEET_MEDIA_WORKER``: ``inprocess`` (default without ``REDIS_URL``) or ``external``
  (default with it): where the worker runs.
- ``MEET_MEDIA_ICE_HOSTS``: comma-separated IPs offered as host candidates (default:
  the machine's addresses).
- ``MEET_MEDIA_ICE_LOOPBACK``: also offer 127.0.0.1 (default yes: tests, a browser on
  the same machine).
- ``MEET_MEDIA_STUN_URLS``, ``MEET_MEDIA_TURN_URLS`` / ``_USERNAME`` / ``_PASSWORD``:
  servers for the worker's own candidates (none by default).
- ``MEET_MEDIA_EGRESS_LIMIT_BYTES``: a subscriber's backlog before it skips to a
  keyframe (default 256000).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from meet.env import env_bool

EGRESS_LIMIT_BYTES = 256_000  # a subscriber's unsent backlog before it skips to a keyframe


def _list(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in environ.get(name, "").split(",") if item.strip())


def worker_mode(environ: Mapping[str, str] = os.environ) -> str:
    """``inprocess`` (embedded default) or ``external`` (``meet media`` runs it)."""
    default = "external" if environ.get("REDIS_URL") else "inprocess"
    mode = environ.get("MEET_MEDIA_WORKER", default).strip().lower() or default
    if mode not in {"inprocess", "external"}:
        raise ValueError(f"MEET_MEDIA_WORKER must be 'inprocess' or 'external'; got {mode!r}.")
    return mode


@dataclass(frozen=True)
class MediaConfig:
    """How the worker reaches browsers and how much backlog a subscriber may have."""

    ice_hosts: tuple[str, ...] = ()
    ice_loopback: bool = True
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_username: str = ""
    turn_password: str = ""
    egress_limit_bytes: int = EGRESS_LIMIT_BYTES
    speaker_interval_secs: float = 0.3

    @classmethod
    def from_env(cls) -> MediaConfig:
        """Read the ``MEET_MEDIA_*`` variables."""
        environ = os.environ
        return cls(
            ice_hosts=_list(environ, "MEET_MEDIA_ICE_HOSTS"),
            ice_loopback=env_bool("MEET_MEDIA_ICE_LOOPBACK", default=True),
            stun_urls=_list(environ, "MEET_MEDIA_STUN_URLS"),
            turn_urls=_list(environ, "MEET_MEDIA_TURN_URLS"),
            turn_username=environ.get("MEET_MEDIA_TURN_USERNAME", ""),
            turn_password=environ.get("MEET_MEDIA_TURN_PASSWORD", ""),
            egress_limit_bytes=int(
                environ.get("MEET_MEDIA_EGRESS_LIMIT_BYTES", str(EGRESS_LIMIT_BYTES))
            ),
        )
