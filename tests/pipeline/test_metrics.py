"""GET /metrics shows the operator's families with real values after real traffic."""

from __future__ import annotations

from pipeline_helpers import post_webhook, subscribe, wait_cards
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from bot.monitor import MONITOR_KEY
from bot.pipeline.assembly import PIPELINE_KEY
from bot.slack_web import web_client
from fakes.slack import DEMO_TOKEN
from harness import Service, running_service


async def scrape(service: Service) -> dict[str, list[Sample]]:
    """Every sample of ``GET /metrics`` over HTTP, by family name."""
    async with service.http.get(f"{service.base_url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(families: dict[str, list[Sample]], sample: str, **labels: str) -> float:
    """The value of ``sample`` with exactly ``labels`` (AssertionError when absent)."""
    for family in families.values():
        for s in family:
            if s.name == sample and s.labels == labels:
                return float(s.value)
    raise AssertionError(f"no sample {sample}{labels}")


async def test_metrics_after_a_webhook_a_poll_and_a_slack_429(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        await subscribe(service, "C0REVIEWS")
        gumado = service.sandboxes.gumado
        gumado.register_webhook(service.webhook_url)
        # Slack refuses the first post with a 429: the sender counts it and retries.
        service.slack.fail_next("chat.postMessage", status=429, retry_after=1)
        gumado.add_review(rating=2, author="Sam", message="Cold coffee")
        assert await gumado.wait_for_deliveries(timeout=10)
        await wait_cards(service, 1)
        pipeline = service.app[PIPELINE_KEY]
        await pipeline.poller.poll_now()
        # A webhook the router has not taken yet: one row waiting in inbound_events.
        await pipeline.router.stop()
        payload = gumado.add_review(rating=5, author="Kim", message="Lovely")
        status, _ = await post_webhook(service, payload)
        assert status == 200
        await service.app[MONITOR_KEY].run_once()

        families = await scrape(service)
        # The standard collectors, on the app's registry.
        assert value(families, "process_cpu_seconds_total") > 0
        assert value(families, "process_resident_memory_bytes") > 0
        assert "python_info" in families
        assert value(families, "python_gc_collections_total", generation="0") >= 0
        # Queues, refreshed by the monitor (no /healthz was asked).
        assert value(families, "reviewbot_database_up") == 1
        assert value(families, "reviewbot_queue_depth", queue="inbound_events") == 1
        assert value(families, "reviewbot_queue_oldest_age_seconds", queue="inbound_events") > 0
        assert value(families, "reviewbot_queue_depth", queue="deliveries") == 0
        for platform in ("gumado", "cloutly"):
            assert value(families, "reviewbot_connections", platform=platform, healthy="true") == 1
            assert value(families, "reviewbot_connections", platform=platform, healthy="false") == 0
        assert value(families, "reviewbot_queue_oldest_age_seconds", queue="deliveries") == 0
        # Outcomes.
        assert value(families, "reviewbot_deliveries_total", outcome="sent") == 1
        assert value(families, "reviewbot_deliveries_total", outcome="retried") == 1
        assert value(families, "reviewbot_slack_rate_limited_total", method="chat.postMessage") == 1
        # Every platform answer, by platform and status (start-up checks and the poll).
        assert value(families, "reviewbot_provider_requests_total", platform="gumado", status="200")
        assert value(
            families, "reviewbot_provider_requests_total", platform="cloutly", status="200"
        )
        # Latency histograms are named ..._duration_seconds.
        histograms = [
            s.name[: -len("_bucket")]
            for samples in families.values()
            for s in samples
            if s.name.endswith("_bucket")
        ]
        assert histograms and all(h.endswith("_duration_seconds") for h in histograms)
        webhooks = "/webhooks/{platform}/{webhook_key}"
        assert value(families, "reviewbot_http_request_duration_seconds_count", route=webhooks) >= 2


async def test_platform_errors_and_unhealthy_connections_are_counted(database_url: str) -> None:
    async with running_service(database_url) as service:
        await service.settle()
        cloutly = service.sandboxes.cloutly
        pipeline = service.app[PIPELINE_KEY]
        # A refused key makes the connection unhealthy; the monitor's gauge shows it.
        cloutly.inject_fault(status=401)
        await pipeline.poller.poll_now()
        await service.app[MONITOR_KEY].run_once()
        families = await scrape(service)
        assert value(
            families, "reviewbot_provider_requests_total", platform="cloutly", status="401"
        )
        assert value(families, "reviewbot_connections", platform="cloutly", healthy="false") == 1
        assert value(families, "reviewbot_connections", platform="cloutly", healthy="true") == 0
        # A 429 without Retry-After, as Cloutly sends it (seeds/000).
        cloutly.inject_fault(status=429)
        await pipeline.poller.poll_now()
        families = await scrape(service)
        assert value(
            families, "reviewbot_provider_requests_total", platform="cloutly", status="429"
        )


async def test_slack_429s_of_listener_calls_are_counted_even_when_retried(
    database_url: str,
) -> None:
    async with running_service(database_url) as service:
        # The listeners' client retries one 429 itself; the count still sees it.
        client = web_client(service.slack.api_url, DEMO_TOKEN, metrics=service.deps.metrics)
        service.slack.fail_next("auth.test", status=429, retry_after=0)
        answer = await client.auth_test()
        assert answer["ok"] is True
        families = await scrape(service)
        assert value(families, "reviewbot_slack_rate_limited_total", method="auth.test") == 1
