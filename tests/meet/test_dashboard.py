"""deploy/grafana/meet.json asks only for series our endpoints serve (issue 12).

The names are collected from the real endpoints: the web's /metrics (Django's test
client), and the media worker's and the scheduler's /metrics over HTTP, with a media
worker running in this process.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
from collections.abc import AsyncIterator, Iterator
from functools import partial
from pathlib import Path

import pytest
import yaml
from channels.layers import InMemoryChannelLayer
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from mediaworker import metrics as media_metrics
from mediaworker.config import MediaConfig
from mediaworker.exposition import serve_in_thread
from mediaworker.worker import MediaWorker
from meet import jobs
from tests.conftest import ROOT
from tests.mediaworker.workers import running

DASHBOARD = ROOT / "deploy" / "grafana" / "meet.json"
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus.yml"
SERIES_NAME = re.compile(r"\b(?:meet|process)_[a-z0-9_]+\b")
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}


def exposed(text: str) -> set[str]:
    """Every series name a query may use, from one endpoint's text (samples or not)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def expressions() -> Iterator[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


@pytest.fixture
async def endpoints(db: None) -> AsyncIterator[dict[str, str]]:
    """The text of each process's /metrics (a media worker runs on this loop)."""
    config = MediaConfig(ice_hosts=("127.0.0.1",), recordings_root=None)
    async with running(MediaWorker(InMemoryChannelLayer(), config=config)):
        media = serve_in_thread("127.0.0.1", 0, media_metrics.healthy, name="dash-media")
        scheduler = serve_in_thread(
            "127.0.0.1", 0, partial(jobs.healthy, max_age_secs=300), name="dash-sched"
        )
        try:
            web = await asyncio.to_thread(Client().get, "/metrics")
            assert web.status_code == 200
            texts = {"web": web.content.decode()}
            for name, server in (("media", media), ("scheduler", scheduler)):
                url = f"http://127.0.0.1:{server.server_port}/metrics"
                texts[name] = await asyncio.to_thread(_read, url)
            yield texts
        finally:
            for server in (media, scheduler):
                server.shutdown()
                server.server_close()


def _read(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


@pytest.mark.django_db(transaction=True)
async def test_every_panel_queries_a_series_that_is_served(endpoints: dict[str, str]) -> None:
    served = set().union(*(exposed(text) for text in endpoints.values()))
    queried = {name for _, expr in expressions() for name in SERIES_NAME.findall(expr)}
    assert len(queried) >= 20  # the dashboard covers the list, not a token panel
    assert queried - served == set()
    # The list, each on the dashboard: nothing served is left without a panel.
    for wanted in (
        "meet_http_requests_total",
        "meet_live_participants",
        "meet_media_received_bytes_total",
        "meet_media_sent_bytes_total",
        "meet_media_keyframe_requests_total",
        "meet_media_event_loop_lag_seconds",
        "meet_signaling_join_seconds_bucket",
        "meet_signaling_messages_total",
        "meet_recordings",
        "meet_media_hls_muxers_active",
        "meet_scheduler_last_pass_timestamp_seconds",
    ):
        assert wanted in queried, wanted


def test_the_dashboard_picks_its_prometheus_and_names_jobs_that_are_scraped() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert panels and all(p["datasource"]["uid"] == "${datasource}" for p in panels)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    scrape = yaml.safe_load(SCRAPE_CONFIG.read_text(encoding="utf-8"))
    jobs_scraped = {job["job_name"] for job in scrape["scrape_configs"]}
    assert jobs_scraped == {"meet-web", "meet-scheduler", "meet-media"}
    for _, expr in expressions():
        for job in re.findall(r'job="([^"]+)"', expr):
            assert job in jobs_scraped, expr


def test_the_scrape_config_uses_the_default_ports() -> None:
    scrape = yaml.safe_load(Path(SCRAPE_CONFIG).read_text(encoding="utf-8"))
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"][0] for job in scrape["scrape_configs"]
    }
    assert targets["meet-scheduler"].endswith(":9311")
    assert targets["meet-media"].endswith(":9310")
