"""Structured logs: JSON or console lines, stdlib routed through structlog, correlation ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from uuid import UUID

import httpx
import pytest
import structlog
from fastapi import FastAPI, Request

from daybook_shared.runtime.logging import (
    CorrelationIdMiddleware,
    bind_correlation_id,
    configure_logging,
    correlation_id_bound,
    current_correlation_id,
)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_format_writes_one_object_per_line_with_context() -> None:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)

    with correlation_id_bound("corr-7"):
        structlog.get_logger("daybook.test").info("punch_recorded", employee_id="E1", minutes=3)

    [line] = json_lines(stream)
    assert line["event"] == "punch_recorded"
    assert line["employee_id"] == "E1"
    assert line["minutes"] == 3
    assert line["level"] == "info"
    assert line["logger"] == "daybook.test"
    assert line["correlation_id"] == "corr-7"
    assert line["timestamp"].endswith("Z")


def test_standard_library_records_go_through_the_same_pipeline() -> None:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)

    with correlation_id_bound("corr-8"):
        logging.getLogger("asyncpg.pool").warning("pool %s is slow", "main")

    [line] = json_lines(stream)
    assert line["event"] == "pool main is slow"
    assert line["level"] == "warning"
    assert line["logger"] == "asyncpg.pool"
    assert line["correlation_id"] == "corr-8"


def test_library_loggers_with_their_own_handlers_are_rerouted() -> None:
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.addHandler(logging.StreamHandler(io.StringIO()))
    uvicorn_access.propagate = False
    stream = io.StringIO()

    configure_logging("json", "INFO", stream=stream)
    uvicorn_access.info("GET /healthz 200")

    assert [line["event"] for line in json_lines(stream)] == ["GET /healthz 200"]


def test_level_filters_lower_records() -> None:
    stream = io.StringIO()
    configure_logging("json", "warning", stream=stream)

    structlog.get_logger("daybook.test").info("chatter")
    structlog.get_logger("daybook.test").error("trouble")

    assert [line["event"] for line in json_lines(stream)] == ["trouble"]


def test_json_format_renders_exceptions_as_data() -> None:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream=stream)

    structlog.get_logger("daybook.test").error("handler_failed", exc_info=ZeroDivisionError("x"))

    [line] = json_lines(stream)
    assert line["exception"][0]["exc_type"] == "ZeroDivisionError"


def test_console_format_is_readable_text() -> None:
    stream = io.StringIO()
    configure_logging("console", "INFO", stream=stream)

    structlog.get_logger("daybook.test").info("day_closed", employee_id="E1")

    text = stream.getvalue()
    assert "day_closed" in text
    assert "employee_id=E1" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="log format"):
        configure_logging("xml", "INFO")  # type: ignore[arg-type]


def test_correlation_id_bound_restores_the_previous_id() -> None:
    bind_correlation_id("outer")
    with correlation_id_bound("inner"):
        assert current_correlation_id() == "inner"
        assert structlog.contextvars.get_contextvars()["correlation_id"] == "inner"
    assert current_correlation_id() == "outer"
    assert structlog.contextvars.get_contextvars()["correlation_id"] == "outer"


def correlated_app(stream: io.StringIO) -> FastAPI:
    configure_logging("json", "INFO", stream=stream)
    app = FastAPI()
    app.add_middleware(CorrelationIdMiddleware)

    @app.get("/echo")
    async def echo(request: Request) -> dict[str, str | None]:
        structlog.get_logger("daybook.test").info("inside_request")
        return {
            "current": current_correlation_id(),
            "state": request.state.correlation_id,
        }

    return app


async def call(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/echo", headers=headers)


async def test_middleware_takes_the_callers_correlation_id() -> None:
    stream = io.StringIO()

    response = await call(correlated_app(stream), {"X-Correlation-ID": "req-123"})

    assert response.headers["X-Correlation-ID"] == "req-123"
    assert response.json() == {"current": "req-123", "state": "req-123"}
    assert json_lines(stream)[0]["correlation_id"] == "req-123"


async def test_middleware_makes_an_id_when_none_is_sent() -> None:
    response = await call(correlated_app(io.StringIO()))

    made = response.headers["X-Correlation-ID"]
    assert UUID(made).version == 4
    assert response.json()["current"] == made


@pytest.mark.parametrize("unsafe", ["a b", "x" * 129, "line\\nbreak", "{json}"])
async def test_middleware_replaces_an_unsafe_id(unsafe: str) -> None:
    response = await call(correlated_app(io.StringIO()), {"X-Correlation-ID": unsafe})

    made = response.headers["X-Correlation-ID"]
    assert made != unsafe
    assert UUID(made).version == 4


async def test_middleware_unbinds_after_the_request_in_the_same_task() -> None:
    """Servers run each request in its own task; a caller that does not still sees its own id."""
    bind_correlation_id("before-request")
    seen: list[str | None] = []
    sent: list[dict] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        seen.append(current_correlation_id())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"x-correlation-id", b"during-request")]}
    await CorrelationIdMiddleware(app)(scope, None, send)  # type: ignore[arg-type]

    assert seen == ["during-request"]
    assert (b"x-correlation-id", b"during-request") in sent[0]["headers"]
    assert current_correlation_id() == "before-request"
    assert structlog.contextvars.get_contextvars()["correlation_id"] == "before-request"
