"""The web's /metrics: what it names, and who may read it (issue 12, observability)."""

from __future__ import annotations

from typing import cast

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from archive.models import Recording, RecordingKind, RecordingState
from broadcasts.presence import get_counter, reset_counter
from rooms.models import Room
from signaling.models import Meeting, Participant, ParticipantState
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db

# The series the issue asks of the web process (HTTP, live rooms, signaling, recordings).
WEB_SERIES = {
    "meet_http_requests",
    "meet_http_request_duration_seconds",
    "meet_live_rooms",
    "meet_live_participants",
    "meet_live_publishers",
    "meet_live_lobby",
    "meet_signaling_messages",
    "meet_signaling_room_events",
    "meet_signaling_join_seconds",
    "meet_recordings",
    "meet_archive_entries",
    "meet_watch_viewers",
}


def families(text: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """Family name -> samples (name, labels, value), as Prometheus would read them."""
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def scrape(client: Client, **extra: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    response = client.get("/metrics", **extra)  # type: ignore[arg-type]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return families(response.content.decode())


def value(found: dict, family: str, **labels: str) -> float:
    return sum(
        v for _, sample_labels, v in found[family] if labels.items() <= sample_labels.items()
    )


def test_metrics_names_the_web_series_for_a_loopback_client() -> None:
    found = scrape(Client())
    assert WEB_SERIES <= set(found), sorted(WEB_SERIES - set(found))


def test_requests_are_counted_by_method_status_and_view() -> None:
    client = Client()
    before = scrape(client)
    assert client.get("/healthz").status_code == 200
    assert client.get("/no/such/page/").status_code == 404
    after = scrape(client)
    for status, view in (("200", "healthz"), ("404", "unrouted")):
        gained = value(after, "meet_http_requests", method="GET", status=status, view=view) - (
            value(before, "meet_http_requests", method="GET", status=status, view=view)
            if "meet_http_requests" in before
            else 0
        )
        assert gained == 1, (status, view)


def test_live_participants_and_recordings_come_from_the_database() -> None:
    room = cast(Room, RoomFactory())
    meeting = Meeting.objects.create(room=room)
    for n, (role, camera) in enumerate([("host", True), ("guest", False), ("guest", False)]):
        Participant.objects.create(
            meeting=meeting,
            peer=f"peer{n}",
            identity=f"g:{n}",
            name=f"Người {n}",
            role=role,
            state=ParticipantState.JOINED,
            joined_at=timezone.now(),
            video_on=camera,
        )
    Recording.objects.create(
        room=room, kind=RecordingKind.BROADCAST, state=RecordingState.RECORDING
    )
    found = scrape(Client())
    assert value(found, "meet_live_rooms") == 1
    assert value(found, "meet_live_participants", role="guest") == 2
    assert value(found, "meet_live_participants", role="host") == 1
    assert value(found, "meet_live_publishers") == 1
    assert value(found, "meet_recordings", kind="broadcast", state="recording") == 1


@pytest.mark.parametrize("address", ["203.0.113.5", "10.0.0.8", "2001:db8::1"])
def test_a_stranger_gets_404(address: str) -> None:
    response = Client().get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 404
    assert b"meet_" not in response.content


def test_a_bearer_token_lets_a_remote_prometheus_in(settings) -> None:
    settings.MEET_METRICS_TOKEN = "a-long-random-scrape-token"
    remote = "203.0.113.5"
    good = Client().get(
        "/metrics", HTTP_AUTHORIZATION="Bearer a-long-random-scrape-token", REMOTE_ADDR=remote
    )
    assert good.status_code == 200 and b"meet_http_requests" in good.content
    bad = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", REMOTE_ADDR=remote)
    assert bad.status_code == 404
    # A wrong token from an allowed address is refused too: it was a claim, and false.
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404


def test_allowed_networks_come_from_the_settings(settings) -> None:
    settings.MEET_METRICS_ALLOWED = ["10.1.0.0/16"]
    assert Client().get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_every_response_carries_a_request_id() -> None:
    client = Client()
    given = client.get("/healthz", HTTP_X_REQUEST_ID="edge-0123456789abcdef")
    assert given["X-Request-ID"] == "edge-0123456789abcdef"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert made["X-Request-ID"] != "bad id\nwith newline"
    assert len(made["X-Request-ID"]) == 32
    assert client.get("/healthz")["X-Request-ID"] != made["X-Request-ID"]


class _Viewer:
    async def viewers_changed(self, total: int) -> None:
        """The count pushed to the watch page (unused here)."""


@pytest.mark.django_db(transaction=True)
async def test_watch_page_viewers_of_this_process_are_counted() -> None:
    counter = get_counter()
    viewers = [_Viewer(), _Viewer(), _Viewer()]
    for viewer in viewers[:2]:
        counter.join(1, viewer)
    counter.join(2, viewers[2])
    counter.join(2, _Viewer(), counted=False)  # a host's panel hears the count, is not counted
    try:
        found = await sync_to_async(scrape)(Client())
        assert value(found, "meet_watch_viewers") == 3
    finally:
        reset_counter()
