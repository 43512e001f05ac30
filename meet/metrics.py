"""The web process's ``/metrics``: Prometheus text of the default registry, for operators only.

What it holds: HTTP requests by method, status and view (``request_metrics`` middleware);
the live rooms' frames, room events and join latency (signaling/metrics.py); live
meetings, participants and publishers and recordings by kind and state, read from the
database when scraped (``StateCollector``); the mail series the mail queue registers;
in the embedded default also the in-process media worker's ``meet_media_*`` and the
scheduler's ``meet_scheduler_*`` (one process, one registry).

The database's numbers live in a registry of their own (``STATE_REGISTRY``), read only
here: the default registry is also read on event loops and by the other endpoints.

Who may read it: clients whose address is in ``MEET_METRICS_ALLOWED`` (addresses or
networks, default loopback) and that did not come through a proxy, or anyone sending
``Authorization: Bearer <MEET_METRICS_TOKEN>``. Anyone else gets the site's 404.

One registry per process: run one daphne per container (as docker-compose does) and let
Prometheus scrape each; several daphne processes behind one port would each answer with
their own counts.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Iterator

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.decorators import sync_and_async_middleware
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from archive.models import ArchiveEntry, Recording
from broadcasts.presence import get_counter
from meet.proxies import FORWARDED_MARK, is_trusted, parse_networks
from signaling.models import Participant, ParticipantState
from signaling.selectors.meetings import stale_before

REQUESTS = Counter(
    "meet_http_requests",
    "HTTP requests answered, by method, status and view.",
    ["method", "status", "view"],
)
REQUEST_SECONDS = Histogram(
    "meet_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view"],
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Response = HttpResponseBase
GetResponse = Callable[[HttpRequest], Response | Awaitable[Response]]


def _record(request: HttpRequest, response: Response, started: float) -> None:
    match = request.resolver_match
    view = (match.view_name or match.route) if match is not None else "unrouted"
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(method=method, status=str(response.status_code), view=view).inc()
    REQUEST_SECONDS.labels(view=view).observe(time.perf_counter() - started)


@sync_and_async_middleware
def request_metrics(get_response: GetResponse) -> GetResponse:
    """Middleware: count each request by method, status and view, and time it."""
    if iscoroutinefunction(get_response):

        async def middleware_async(request: HttpRequest) -> Response:
            started = time.perf_counter()
            response: Response = await get_response(request)
            _record(request, response, started)
            return response

        return middleware_async

    def middleware(request: HttpRequest) -> Response:
        started = time.perf_counter()
        response = get_response(request)
        assert isinstance(response, HttpResponseBase)
        _record(request, response, started)
        return response

    return middleware


class StateCollector(Collector):
    """Live meetings and recordings, read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        live = Participant.objects.filter(
            state=ParticipantState.JOINED,
            seen_at__gte=stale_before(),
            meeting__ended_at__isnull=True,
        )
        yield GaugeMetricFamily(
            "meet_live_rooms",
            "Live rooms with at least one participant connected.",
            value=live.values("meeting_id").distinct().count(),
        )
        participants = GaugeMetricFamily(
            "meet_live_participants",
            "Participants connected to live rooms, by role.",
            labels=["role"],
        )
        for row in live.values("role").annotate(n=Count("id")).order_by("role"):
            participants.add_metric([row["role"]], row["n"])
        yield participants
        yield GaugeMetricFamily(
            "meet_live_publishers",
            "Participants sending a microphone, camera or screen.",
            value=live.filter(Q(audio_on=True) | Q(video_on=True) | Q(screen_on=True)).count(),
        )
        yield GaugeMetricFamily(
            "meet_live_lobby",
            "People waiting in live rooms' lobbies.",
            value=Participant.objects.filter(
                state=ParticipantState.LOBBY,
                seen_at__gte=stale_before(),
                meeting__ended_at__isnull=True,
            ).count(),
        )
        yield GaugeMetricFamily(
            "meet_watch_viewers",
            "Watch-page viewers (HLS or WebRTC) connected to this web process.",
            value=get_counter().local_total(),
        )
        yield from _recordings()


def _recordings() -> Iterator[Metric]:
    recordings = GaugeMetricFamily(
        "meet_recordings",
        "Recordings by kind (meeting, broadcast) and state; each one in state 'recording' "
        "writes a live HLS program.",
        labels=["kind", "state"],
    )
    rows = Recording.objects.values("kind", "state").annotate(n=Count("id")).order_by()
    for row in sorted(rows, key=lambda r: (r["kind"], r["state"])):
        recordings.add_metric([row["kind"], row["state"]], row["n"])
    yield recordings
    entries = GaugeMetricFamily(
        "meet_archive_entries", "Archive entries by status.", labels=["status"]
    )
    statuses = ArchiveEntry.objects.values("status").annotate(n=Count("id")).order_by()
    for row in sorted(statuses, key=lambda r: r["status"]):
        entries.add_metric([row["status"]], row["n"])
    yield entries


# A registry of its own, read only by the web's /metrics (in a thread that may reach the
# database): the default registry is also read on event loops and by the media worker's
# and scheduler's endpoints, which must never query the database.
STATE_REGISTRY = CollectorRegistry(auto_describe=False)  # never collect at import
STATE_REGISTRY.register(StateCollector())


def allowed(request: HttpRequest) -> bool:
    """Whether this request may read /metrics (see the module's docstring)."""
    token = settings.MEET_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].encode(), token.encode())
    scope = getattr(request, "scope", {})
    if scope.get(FORWARDED_MARK):
        return False  # came through a proxy: its address is no operator's
    address = request.META.get("REMOTE_ADDR") or ""
    return is_trusted(address, parse_networks(tuple(settings.MEET_METRICS_ALLOWED)))


def _exposition() -> bytes:
    return generate_latest(REGISTRY) + generate_latest(STATE_REGISTRY)


@never_cache
@require_GET
async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text for operators; the site's 404 for anyone else."""
    if not allowed(request):
        raise Http404
    # In a thread: the state collector reads the database.
    body = await sync_to_async(_exposition)()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
