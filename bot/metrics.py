"""Prometheus metrics, on a registry per app instance (so tests and replicas don't collide).

Besides the app's own counters the registry carries the standard process, platform and GC
collectors, and gauges for the two work queues that :mod:`bot.monitor` refreshes every few
seconds (a scrape never waits for the database).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


@dataclass
class Metrics:
    """Every metric the app exports."""

    registry: CollectorRegistry = field(
        default_factory=lambda: CollectorRegistry(auto_describe=True)
    )

    def __post_init__(self) -> None:
        r = self.registry
        # The same collectors the default registry has, on ours.
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        # Registered in the order /metrics lists them.
        self._add_http(r)
        self._add_intake(r)
        self._add_slack(r)
        self._add_jobs(r)
        self._add_gauges(r)
        self._http_counters: dict[tuple[str, int], Counter] = {}
        self._http_latencies: dict[str, Histogram] = {}
        self._webhook_outcomes: dict[str, Counter] = {}

    def _add_http(self, r: CollectorRegistry) -> None:
        """HTTP served, and HTTP asked of the review platforms."""
        self.http_requests = Counter(
            "reviewbot_http_requests_total",
            "HTTP requests served, by route and status.",
            ["route", "status"],
            registry=r,
        )
        self.http_latency = Histogram(
            "reviewbot_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["route"],
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.provider_requests = Counter(
            "reviewbot_provider_requests_total",
            "Requests to review platforms, by platform and HTTP status (or timeout, "
            "transport_error).",
            ["platform", "status"],
            registry=r,
        )

    def _add_intake(self, r: CollectorRegistry) -> None:
        """Webhooks in and the events routed from them."""
        self.webhooks = Counter(
            "reviewbot_webhooks_total",
            "Gumado webhooks received, by outcome (accepted, duplicate, ignored_unknown_event, "
            "rejected_*, unavailable).",
            ["outcome"],
            registry=r,
        )
        self.webhook_unknown_events = Counter(
            "reviewbot_webhook_unknown_events_total",
            "Gumado webhooks of an event type this version does not handle (acknowledged, "
            "nothing stored), by event name.",
            ["event"],
            registry=r,
        )
        self.inbound_events = Counter(
            "reviewbot_inbound_events_total",
            "Inbound events routed, by outcome (done, retried, failed).",
            ["outcome"],
            registry=r,
        )

    def _add_slack(self, r: CollectorRegistry) -> None:
        """Cards out to Slack, their updates, and Slack's pushback."""
        self.deliveries = Counter(
            "reviewbot_deliveries_total",
            "Review cards, by outcome (sent, adopted, retried, failed).",
            ["outcome"],
            registry=r,
        )
        self.card_updates = Counter(
            "reviewbot_card_updates_total",
            "Posted cards edited in place, by outcome (updated, noted, retried, dropped).",
            ["outcome"],
            registry=r,
        )
        self.reminders = Counter(
            "reviewbot_reminders_total",
            "Reply-deadline reminders in a card's thread, by outcome (sent; skipped: the "
            "review was answered or the card handled first).",
            ["outcome"],
            registry=r,
        )
        self.rollups = Counter(
            "reviewbot_rollups_total",
            "Roll-up messages, by outcome (posted, adopted, updated, retried, failed, lease_lost).",
            ["outcome"],
            registry=r,
        )
        self.slack_rate_limited = Counter(
            "reviewbot_slack_rate_limited_total",
            "Slack Web API 429 answers, by method.",
            ["method"],
            registry=r,
        )
        self.slack_images_dropped = Counter(
            "reviewbot_slack_images_dropped_total",
            "Images Slack could not download, removed from a call sent again, by method.",
            ["method"],
            registry=r,
        )

    def _add_jobs(self, r: CollectorRegistry) -> None:
        """Platform polls and digests."""
        self.polls = Counter(
            "reviewbot_polls_total",
            "Platform polls, by platform and outcome (ok, baseline, rate_limited, failed).",
            ["platform", "outcome"],
            registry=r,
        )
        self.reviews_skipped = Counter(
            "reviewbot_reviews_skipped_total",
            "Reviews a poll could not read (skipped and logged by id), by platform.",
            ["platform"],
            registry=r,
        )
        self.digests = Counter(
            "reviewbot_digests_total",
            "Digests by outcome (sent, failed, skipped).",
            ["outcome"],
            registry=r,
        )

    def _add_gauges(self, r: CollectorRegistry) -> None:
        """What bot.monitor refreshes every few seconds."""
        self.database_up = Gauge(
            "reviewbot_database_up",
            "1 when the last check (every few seconds, and /healthz) reached the database.",
            registry=r,
        )
        self.connections = Gauge(
            "reviewbot_connections",
            "Platform connections by platform and health (healthy: the last poll or check "
            "worked), as of the last check.",
            ["platform", "healthy"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "reviewbot_queue_depth",
            "Rows waiting in a work queue (inbound_events, deliveries), as of the last check.",
            ["queue"],
            registry=r,
        )
        self.queue_oldest_age = Gauge(
            "reviewbot_queue_oldest_age_seconds",
            "Age of the oldest row waiting in a work queue (0 when empty), as of the last check.",
            ["queue"],
            registry=r,
        )

    def http_request_served(self, route: str, status: int, seconds: float) -> None:
        """Count and time one HTTP request by its route pattern."""
        # The label children are kept: labels() takes a lock and builds its key every call,
        # which a webhook at thousands a second notices. Routes and statuses are few.
        counter = self._http_counters.get((route, status))
        if counter is None:
            counter = self.http_requests.labels(route, str(status))
            self._http_counters[(route, status)] = counter
        counter.inc()
        latency = self._http_latencies.get(route)
        if latency is None:
            latency = self._http_latencies[route] = self.http_latency.labels(route)
        latency.observe(seconds)

    def webhook_answered(self, outcome: str) -> None:
        """Count one webhook answer by outcome."""
        counter = self._webhook_outcomes.get(outcome)
        if counter is None:
            counter = self._webhook_outcomes[outcome] = self.webhooks.labels(outcome)
        counter.inc()

    def provider_answered(self, platform: str, status: str) -> None:
        """Count one answer (or timeout) from a review platform."""
        self.provider_requests.labels(platform, status).inc()

    def render(self) -> bytes:
        """The text exposition format for ``GET /metrics``."""
        return generate_latest(self.registry)
