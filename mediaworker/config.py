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
- ``MEET_MEDIA_MAX_VIEWERS``: public viewers of broadcasts this worker serves over
  WebRTC (default 200; 0 turns WebRTC viewing off). Everyone beyond watches HLS, which
  costs the worker nothing per viewer.
- ``MEET_RECORDINGS_DIR``: where recordings and the live HLS program are written
  (default ``$MEET_VAR_DIR/recordings``, else ``<project>/var/recordings``: the same
  directory as ``settings.MEET_RECORDINGS_ROOT``, so the web process finds them).
- ``MEET_RECORDING_SEGMENT_SECS``: the HLS segment length (default 1; 1-6). Shorter
  segments mean lower latency but a keyframe from the presenter that often.
- ``MEET_MEDIA_ALLOWED_PEER_NETWORKS``: comma-separated networks (CIDR) whose addresses
  a browser's ICE candidates may name although they are not globally routable. Default:
  loopback and the private LAN ranges in the embedded mode (tests, a school's own LAN),
  none with ``MEET_MODE=production``. Link-local, multicast and unspecified addresses
  are refused whatever it says (mediaworker/peer_addresses.py).
- ``MEET_MEDIA_UDP_PORTS``: ``low-high``, the UDP ports the worker's host candidates bind
  (e.g. ``40000-40999``), so a firewall opens just that range (default: any port the
  system picks). mediaworker/ice.py explains how.
- ``MEET_MEDIA_VIEWER_CONNECT_SECS``: how long a public viewer's connection may take to
  come up before its seat is given back (default 15).
- ``MEET_MEDIA_METRICS_PORT`` / ``MEET_MEDIA_METRICS_HOST``: where the worker as its own
  process serves ``/metrics`` and ``/healthz`` (default 9310 on 127.0.0.1; port 0 turns it
  off). In the embedded default its series are in the web's ``/metrics`` instead.
- ``MEET_MEDIA_WORKER_ID``: the standalone worker's name in placement (letters, digits,
  ``-``, ``_``; default ``<host>-<pid>``). It reads the channel ``media-worker.<id>``.
- ``MEET_MEDIA_CAPACITY_UNITS``: the forwarded streams this worker takes before placement
  sends rooms elsewhere (default placement.costs.COMPILED_CAPACITY_UNITS where the fan-out's
  compiled helper forwards, else DEFAULT_CAPACITY_UNITS; measure with bench/fanout.py).
- ``MEET_MEDIA_HANDSHAKES``: new connections' handshakes (ICE + DTLS) the worker runs at
  once; the others wait their turn (default 16, a quarter while the loop lags;
  mediaworker/admission.py). ``MEET_MEDIA_ADMISSION=off`` runs every handshake at once (the
  behaviour before, for ``bench/fanout.py --storm``'s comparison).
- ``MEET_MEDIA_FANOUT_SLICES``: ``off`` fans a publisher's backlog out in one step, as
  aiortc hands it over (the behaviour before; forwarding/source.py), for the storm
  benchmark's comparison (default on).
- ``MEET_MEDIA_NATIVE_FANOUT``: ``off`` forwards through the pure-Python path even where the
  fan-out's compiled helper is installed (forwarding/native.py), for ``bench/fanout.py
  --compare``'s comparison (default on; without the helper the worker says so in its log).
- ``MEET_MEDIA_PIPE_HOST``: the IP address this worker's pipe socket binds, where the other
  workers of a room that spans workers send it their publishers' streams (default
  127.0.0.1: workers of one machine; give the private LAN address across machines, never
  a public one: docs/media.md "Pipes between workers").
- ``MEET_MEDIA_LAYERS``: ``off`` makes the worker forward every subscriber the high layer
  and never budget a link nor pause a layer (the behaviour before issue 13), for
  ``bench/weaklinks.py``'s comparison (default on).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mediaworker.admission import HANDSHAKES
from mediaworker.peer_addresses import LOCAL_NETWORKS, Network, parse_networks
from placement.costs import COMPILED_CAPACITY_UNITS, DEFAULT_CAPACITY_UNITS

EGRESS_LIMIT_BYTES = 256_000  # a subscriber's unsent backlog before it skips to a keyframe
# A viewer costs a video and up to three audio forwards: ~200 fit in half a core next
# to the room's own participants (docs/benchmarks.md: ~430 video subscribers per core).
MAX_VIEWERS = 200
SEGMENT_SECS = 1.0  # HLS segment length: the latency floor of a player without parts
MIN_SEGMENT_SECS, MAX_SEGMENT_SECS = 1.0, 6.0
PROJECT_DIR = Path(__file__).resolve().parent.parent
# A browser's connection comes up in well under a second on a LAN, a few seconds through
# TURN; a seat held longer by a connection that never came up is a seat stolen.
VIEWER_CONNECT_SECS = 15.0
_LOCAL_NETWORKS = parse_networks(LOCAL_NETWORKS)


def recordings_root(environ: Mapping[str, str] = os.environ) -> Path:
    """The recordings directory, resolved like ``settings.MEET_RECORDINGS_ROOT``."""
    var_dir = Path(environ.get("MEET_VAR_DIR", PROJECT_DIR / "var"))
    return Path(environ.get("MEET_RECORDINGS_DIR", var_dir / "recordings"))


def _number(
    environ: Mapping[str, str], name: str, default: float, low: float, high: float | None = None
) -> float:
    """A numeric variable, checked: a bad value must not start a worker that misbehaves."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number; got {raw!r}.") from None
    if value < low or (high is not None and value > high):
        within = f"between {low:g} and {high:g}" if high is not None else f"{low:g} or more"
        raise ValueError(f"{name} must be {within}; got {value:g}.")
    return value


def segment_secs(environ: Mapping[str, str] = os.environ) -> float:
    """``MEET_RECORDING_SEGMENT_SECS`` (a bad value must not start a broken recorder)."""
    return _number(
        environ, "MEET_RECORDING_SEGMENT_SECS", SEGMENT_SECS, MIN_SEGMENT_SECS, MAX_SEGMENT_SECS
    )


def max_viewers(environ: Mapping[str, str] = os.environ) -> int:
    """``MEET_MEDIA_MAX_VIEWERS`` (a typo must not start a worker that refuses everyone)."""
    value = float(_number(environ, "MEET_MEDIA_MAX_VIEWERS", MAX_VIEWERS, 0))
    if not value.is_integer():
        raise ValueError(f"MEET_MEDIA_MAX_VIEWERS must be a whole number; got {value:g}.")
    return int(value)


def allowed_peer_networks(environ: Mapping[str, str] = os.environ) -> tuple[Network, ...]:
    """``MEET_MEDIA_ALLOWED_PEER_NETWORKS``, else the mode's default (a typo must not start)."""
    raw = environ.get("MEET_MEDIA_ALLOWED_PEER_NETWORKS")
    if raw is None:
        production = environ.get("MEET_MODE", "embedded").strip().lower() == "production"
        return () if production else _LOCAL_NETWORKS
    try:
        return parse_networks(raw)
    except ValueError:
        raise ValueError(
            f"MEET_MEDIA_ALLOWED_PEER_NETWORKS must list networks like 10.0.0.0/8; got {raw!r}."
        ) from None


def udp_ports(environ: Mapping[str, str] = os.environ) -> tuple[int, int] | None:
    """``MEET_MEDIA_UDP_PORTS`` as (low, high), or None (a typo must not open every port)."""
    raw = environ.get("MEET_MEDIA_UDP_PORTS", "").strip()
    if not raw:
        return None
    low, dash, high = raw.partition("-")
    try:
        ports = (int(low), int(high)) if dash else (int(low), int(low))
    except ValueError:
        ports = (0, 0)
    if not 1024 <= ports[0] <= ports[1] <= 65535:
        raise ValueError(
            f"MEET_MEDIA_UDP_PORTS must be a range like 40000-40999 (1024-65535); got {raw!r}."
        )
    return ports


def _list(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in environ.get(name, "").split(",") if item.strip())


# The same spellings the web side's settings accept (meet/env.py): one .env serves both
# processes, and the worker imports nothing of the web side to read it.
_YES, _NO = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off", ""})


def _flag(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    """A yes/no variable; a value that is neither must not start a worker that guesses."""
    raw = environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in _YES or word in _NO:
        return word in _YES
    raise ValueError(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


METRICS_PORT = 9310


def metrics_address(environ: Mapping[str, str] = os.environ) -> tuple[str, int] | None:
    """(host, port) of the standalone worker's metrics endpoint, or None when turned off."""
    port = float(_number(environ, "MEET_MEDIA_METRICS_PORT", METRICS_PORT, 0, 65535))
    if not port.is_integer():
        raise ValueError(f"MEET_MEDIA_METRICS_PORT must be a port number; got {port:g}.")
    host = environ.get("MEET_MEDIA_METRICS_HOST", "").strip() or "127.0.0.1"
    return (host, int(port)) if port else None


_WORKER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def worker_id(environ: Mapping[str, str] = os.environ) -> str:
    """``MEET_MEDIA_WORKER_ID``, else ``<host>-<pid>`` (unique while the process lives)."""
    raw = environ.get("MEET_MEDIA_WORKER_ID", "").strip()
    if not raw:
        host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "worker"
        return f"{host}-{os.getpid()}"
    if not _WORKER_ID.fullmatch(raw):
        # It becomes a channel name and a Redis key: nothing else may be in it.
        raise ValueError(
            f"MEET_MEDIA_WORKER_ID may hold letters, digits, - and _ (64 at most); got {raw!r}."
        )
    return raw


def capacity_units(environ: Mapping[str, str] = os.environ) -> int:
    """``MEET_MEDIA_CAPACITY_UNITS`` (a typo must not register a worker of no capacity)."""
    default = COMPILED_CAPACITY_UNITS if compiled_fanout(environ) else DEFAULT_CAPACITY_UNITS
    value = float(_number(environ, "MEET_MEDIA_CAPACITY_UNITS", default, 1))
    if not value.is_integer():
        raise ValueError(f"MEET_MEDIA_CAPACITY_UNITS must be a whole number; got {value:g}.")
    return int(value)


def compiled_fanout(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this worker will forward through the compiled helper (installed, not off)."""
    if not _flag(environ, "MEET_MEDIA_NATIVE_FANOUT", default=True):
        return False
    return importlib.util.find_spec("mediaworker.forwarding._fanout") is not None


def handshakes(environ: Mapping[str, str] = os.environ) -> int:
    """``MEET_MEDIA_HANDSHAKES`` at once, or 0 (no bound) with ``MEET_MEDIA_ADMISSION=off``."""
    if not _flag(environ, "MEET_MEDIA_ADMISSION", default=True):
        return 0
    value = float(_number(environ, "MEET_MEDIA_HANDSHAKES", HANDSHAKES, 1))
    if not value.is_integer():
        raise ValueError(f"MEET_MEDIA_HANDSHAKES must be a whole number; got {value:g}.")
    return int(value)


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
    # None: this worker does not look for recordings a killed worker left behind.
    recordings_root: Path | None = None
    segment_secs: float = SEGMENT_SECS
    max_viewers: int = MAX_VIEWERS  # public WebRTC viewers of broadcasts, whole worker
    # Non-global addresses a browser's candidates may name (mediaworker/peer_addresses).
    allowed_peer_networks: tuple[Network, ...] = _LOCAL_NETWORKS
    viewer_connect_secs: float = VIEWER_CONNECT_SECS
    udp_ports: tuple[int, int] | None = None  # host candidates' ports, low-high inclusive
    layers: bool = True  # False: always the high layer, no budget, no pausing (a benchmark's)
    # False: one sendto per forwarded packet, not one sendmmsg per connection and turn
    # (forwarding/batch.py; bench/fanout.py compares the two).
    batch_sends: bool = True
    # New connections' handshakes at once (mediaworker/admission.py); 0: no bound.
    handshakes: int = HANDSHAKES
    # False: a publisher's backlog fanned out in one step (forwarding/source.py; a bench's).
    fanout_slices: bool = True
    native_fanout: bool = True
    # The address of this worker's pipe socket (pipes between the workers of a room):
    # loopback for workers of one machine, the private LAN address across machines.
    pipe_host: str = "127.0.0.1"

    @classmethod
    def from_env(cls) -> MediaConfig:
        """Read the ``MEET_MEDIA_*`` variables."""
        environ = os.environ
        return cls(
            ice_hosts=_list(environ, "MEET_MEDIA_ICE_HOSTS"),
            ice_loopback=_flag(environ, "MEET_MEDIA_ICE_LOOPBACK", default=True),
            stun_urls=_list(environ, "MEET_MEDIA_STUN_URLS"),
            turn_urls=_list(environ, "MEET_MEDIA_TURN_URLS"),
            turn_username=environ.get("MEET_MEDIA_TURN_USERNAME", ""),
            turn_password=environ.get("MEET_MEDIA_TURN_PASSWORD", ""),
            egress_limit_bytes=int(
                environ.get("MEET_MEDIA_EGRESS_LIMIT_BYTES", str(EGRESS_LIMIT_BYTES))
            ),
            recordings_root=recordings_root(environ),
            segment_secs=segment_secs(environ),
            max_viewers=max_viewers(environ),
            allowed_peer_networks=allowed_peer_networks(environ),
            viewer_connect_secs=_number(
                environ, "MEET_MEDIA_VIEWER_CONNECT_SECS", VIEWER_CONNECT_SECS, 1
            ),
            udp_ports=udp_ports(environ),
            layers=_flag(environ, "MEET_MEDIA_LAYERS", default=True),
            batch_sends=_flag(environ, "MEET_MEDIA_BATCH_SENDS", default=True),
            handshakes=handshakes(environ),
            fanout_slices=_flag(environ, "MEET_MEDIA_FANOUT_SLICES", default=True),
            native_fanout=_flag(environ, "MEET_MEDIA_NATIVE_FANOUT", default=True),
            pipe_host=pipe_host(environ),
        )


def pipe_host(environ: Mapping[str, str]) -> str:
    """``MEET_MEDIA_PIPE_HOST``: an IP address (default loopback)."""
    value = environ.get("MEET_MEDIA_PIPE_HOST", "").strip() or "127.0.0.1"
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"MEET_MEDIA_PIPE_HOST must be an IP address, not {value!r}") from None
    return value
