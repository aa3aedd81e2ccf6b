"""Prometheus metrics: one registry per service, `/metrics`, request timing by route template."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from daybook_shared.runtime.metrics import (
    UNMATCHED_ROUTE,
    HttpMetricsMiddleware,
    ServiceMetrics,
    install_metrics,
    metrics_router,
)


def sample(metrics: ServiceMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_two_services_in_one_process_keep_separate_metrics() -> None:
    attendance = ServiceMetrics("attendance")
    crm = ServiceMetrics("crm")

    attendance.events_appended.labels(event_type="ClockedIn").inc(3)
    crm.events_appended.labels(event_type="DealWon").inc()

    assert sample(attendance, "daybook_events_appended_total", event_type="ClockedIn") == 3
    assert sample(attendance, "daybook_events_appended_total", event_type="DealWon") is None
    assert sample(crm, "daybook_events_appended_total", event_type="DealWon") == 1


def test_every_metric_is_registered_under_its_name() -> None:
    metrics = ServiceMetrics("appraisal")
    metrics.events_published.inc(2)
    metrics.relay_lag.set(5)
    metrics.events_consumed.labels(consumer="scores_v1").inc()
    metrics.events_redelivered_skipped.labels(consumer="scores_v1").inc()
    metrics.consumer_lag.labels(consumer="scores_v1").set(12)
    metrics.dead_letters.labels(consumer="scores_v1").set(1)
    metrics.handler_seconds.labels(consumer="scores_v1").observe(0.02)
    metrics.commands_total.labels(command="CloseDay", outcome="accepted").inc()

    assert sample(metrics, "daybook_service_info", service="appraisal") == 1
    assert sample(metrics, "daybook_events_published_total") == 2
    assert sample(metrics, "daybook_relay_lag_events") == 5
    assert sample(metrics, "daybook_events_consumed_total", consumer="scores_v1") == 1
    assert sample(metrics, "daybook_events_redelivered_skipped_total", consumer="scores_v1") == 1
    assert sample(metrics, "daybook_consumer_pending_messages", consumer="scores_v1") == 12
    assert sample(metrics, "daybook_dead_letters", consumer="scores_v1") == 1
    assert sample(metrics, "daybook_handler_seconds_count", consumer="scores_v1") == 1
    assert sample(metrics, "daybook_commands_total", command="CloseDay", outcome="accepted") == 1


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def test_metrics_endpoint_serves_the_prometheus_text_format() -> None:
    metrics = ServiceMetrics("crm")
    metrics.events_appended.labels(event_type="DealWon").inc(4)
    app = FastAPI()
    app.include_router(metrics_router(metrics))

    response = await get(app, "/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    [appended] = families["daybook_events_appended"].samples
    assert appended.labels == {"event_type": "DealWon"}
    assert appended.value == 4


def instrumented_app(metrics: ServiceMetrics) -> FastAPI:
    app = FastAPI()
    install_metrics(app, metrics)

    @app.get("/employees/{employee_id}/days/{day}")
    async def day(employee_id: str, day: str) -> dict[str, str]:
        return {"employee_id": employee_id, "day": day}

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("bug")

    return app


async def test_requests_are_timed_by_route_template_not_raw_path() -> None:
    metrics = ServiceMetrics("attendance")
    app = instrumented_app(metrics)

    for employee in ("E1", "E2", "E3"):
        assert (await get(app, f"/employees/{employee}/days/2026-03-02")).status_code == 200

    route = "/employees/{employee_id}/days/{day}"
    count = sample(
        metrics, "daybook_http_request_seconds_count", method="GET", route=route, status="200"
    )
    assert count == 3
    exposition = metrics.exposition().decode()
    assert "/employees/E1" not in exposition


async def test_unmatched_paths_share_one_label() -> None:
    metrics = ServiceMetrics("attendance")
    app = instrumented_app(metrics)

    await get(app, "/no/such/path/1")
    await get(app, "/no/such/path/2")

    count = sample(
        metrics,
        "daybook_http_request_seconds_count",
        method="GET",
        route=UNMATCHED_ROUTE,
        status="404",
    )
    assert count == 2


async def test_a_failing_route_is_recorded_as_500() -> None:
    metrics = ServiceMetrics("attendance")
    app = instrumented_app(metrics)

    response = await get(app, "/broken")

    assert response.status_code == 500
    count = sample(
        metrics, "daybook_http_request_seconds_count", method="GET", route="/broken", status="500"
    )
    assert count == 1


async def test_install_metrics_serves_metrics_on_the_app() -> None:
    metrics = ServiceMetrics("attendance")
    app = instrumented_app(metrics)

    response = await get(app, "/metrics")

    assert "daybook_http_request_seconds" in response.text


async def test_middleware_passes_lifespan_through() -> None:
    metrics = ServiceMetrics("attendance")
    events: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        events.append(scope["type"])

    await HttpMetricsMiddleware(app, metrics)({"type": "lifespan"}, None, None)  # type: ignore[arg-type]

    assert events == ["lifespan"]
    [family] = metrics.http_request_seconds.collect()
    assert family.samples == []
