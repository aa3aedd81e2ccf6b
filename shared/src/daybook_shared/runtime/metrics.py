"""Prometheus metrics of one service: events in and out, lag, dead letters, latency.

Each `ServiceMetrics` owns its registry, so several services (or several tests) can live in one
process without their metrics colliding.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Requests that matched no route share one label value: raw paths would grow the series forever.
UNMATCHED_ROUTE = "<unmatched>"


class ServiceMetrics:
    """The metrics every Daybook service exposes on `/metrics`."""

    def __init__(self, service_name: str) -> None:
        self.service_name = service_name
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry

        Info("daybook_service", "The service these metrics describe.", registry=registry).info(
            {"service": service_name}
        )
        self.events_appended = Counter(
            "daybook_events_appended",
            "Events appended to this service's event store.",
            ["event_type"],
            registry=registry,
        )
        self.events_published = Counter(
            "daybook_events_published",
            "Stored events the outbox relay has published to JetStream.",
            registry=registry,
        )
        self.relay_lag = Gauge(
            "daybook_relay_lag_events",
            "Events stored but not yet published by the outbox relay.",
            registry=registry,
        )
        self.events_consumed = Counter(
            "daybook_events_consumed",
            "Events a consumer applied to its projection.",
            ["consumer"],
            registry=registry,
        )
        self.events_redelivered_skipped = Counter(
            "daybook_events_redelivered_skipped",
            "Redelivered events a consumer's inbox had already applied.",
            ["consumer"],
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "daybook_consumer_pending_messages",
            "Messages waiting in a consumer's JetStream durable.",
            ["consumer"],
            registry=registry,
        )
        self.dead_letters = Gauge(
            "daybook_dead_letters",
            "Messages parked in a consumer's dead-letter table, awaiting a fix and replay.",
            ["consumer"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            "daybook_handler_seconds",
            "Time a consumer took to apply one batch, inbox included.",
            ["consumer"],
            registry=registry,
        )
        self.http_request_seconds = Histogram(
            "daybook_http_request_seconds",
            "HTTP request duration by route template.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.commands_total = Counter(
            "daybook_commands",
            "Commands handled, by outcome (for example accepted, replayed, rejected, conflict).",
            ["command", "outcome"],
            registry=registry,
        )

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


def metrics_router(metrics: ServiceMetrics, path: str = "/metrics") -> APIRouter:
    """A router serving `metrics` in the Prometheus text format at `path`."""
    router = APIRouter()

    @router.get(path, include_in_schema=False)
    async def prometheus_metrics() -> Response:
        return Response(content=metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(template, str):
            return scope.get("root_path", "") + template
    return UNMATCHED_ROUTE


class HttpMetricsMiddleware:
    """ASGI middleware recording `http_request_seconds` by method, route template and status.

    The route label is the matched template (`/employees/{employee_id}`), never the raw path.
    A request that fails before it answers is recorded as 500.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status_code = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self.metrics.http_request_seconds.labels(
                method=scope["method"], route=_route_template(scope), status=str(status_code)
            ).observe(time.perf_counter() - started)


def install_metrics(app: FastAPI, metrics: ServiceMetrics) -> None:
    """Serve `/metrics` on `app` and time its requests."""
    app.include_router(metrics_router(metrics))
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics)
