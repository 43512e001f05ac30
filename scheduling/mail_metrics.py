"""Prometheus series of the mail queue, read from the outbox at each scrape.

Registered once in the default registry when the app is ready (scheduling/apps.py), so any
exporter of that registry (the /metrics endpoint, the scheduler's) names them:
``meet_mail_queue_depth``, ``meet_mail_retrying``, ``meet_mail_sent_total`` and
``meet_mail_failed_total`` (mails given up after the last try).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from django.db import connections
from prometheus_client.core import REGISTRY, CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from scheduling.models import MailState
from scheduling.selectors import mail_counts, mail_retrying_count

log = logging.getLogger(__name__)


def _read() -> tuple[dict[str, int], int]:
    return mail_counts(), mail_retrying_count()


def _read_in_thread() -> tuple[dict[str, int], int]:
    try:
        return _read()
    finally:
        connections.close_all()


def _counts() -> tuple[dict[str, int], int]:
    """The counts, also when scraped from an event loop (the ORM is synchronous only)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _read()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_read_in_thread).result()


class MailCollector(Collector):
    """The outbox's counts as gauges and counters."""

    def describe(self) -> Iterator[Metric]:
        """The series' names, without a database query (registration calls it)."""
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        """The series with the outbox's counts now; none if the database cannot answer."""
        try:
            counts, retrying = _counts()
        except Exception:  # a scrape must not fail because the database is away
            log.exception("mail metrics could not be read")
            return
        yield from self._families(counts, retrying)

    @staticmethod
    def _families(counts: dict[str, int] | None = None, retrying: int = 0) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "meet_mail_queue_depth", "E-mails waiting to be sent (including those retrying)."
        )
        waiting = GaugeMetricFamily(
            "meet_mail_retrying", "E-mails waiting for another try after a failed one."
        )
        sent = CounterMetricFamily("meet_mail_sent", "E-mails the mail server has taken.")
        failed = CounterMetricFamily(
            "meet_mail_failed", "E-mails given up after their last try (not sent)."
        )
        if counts is not None:
            depth.add_metric([], counts[MailState.WAITING] + counts[MailState.SENDING])
            waiting.add_metric([], retrying)
            sent.add_metric([], counts[MailState.SENT])
            failed.add_metric([], counts[MailState.FAILED])
        yield from (depth, waiting, sent, failed)


_collector: MailCollector | None = None


def register() -> MailCollector:
    """Register the collector in the default registry, once per process."""
    global _collector
    if _collector is None:
        _collector = MailCollector()
        REGISTRY.register(_collector)
    return _collector
