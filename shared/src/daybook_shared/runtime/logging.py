"""Structured logs (structlog) and the correlation id that ties a request to every event it causes.

Production writes one JSON object per line; development writes readable lines. Records from the
standard library (uvicorn, asyncpg, nats, FastStream) go through the same processors, so they carry
the correlation id and the same format.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, TextIO, TypeGuard
from uuid import uuid4

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LogFormat = Literal["console", "json"]

CORRELATION_ID_HEADER = "X-Correlation-ID"
CORRELATION_ID_KEY = "correlation_id"

_correlation_id: ContextVar[str | None] = ContextVar("daybook_correlation_id", default=None)

# An incoming id ends up in logs and in every event's envelope: accept only plain, short tokens.
_ACCEPTABLE_CORRELATION_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

# Loggers that libraries give handlers of their own; their records should reach ours instead.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "fastapi")


def _shared_processors() -> list[structlog.typing.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.UnicodeDecoder(),
    ]


def configure_logging(
    format: LogFormat = "console",
    level: str | int = "INFO",
    *,
    stream: TextIO | None = None,
) -> None:
    """Route structlog and the standard library's logging to one handler on `stream` (stdout).

    Safe to call again (tests, a reloaded configuration): the previous handler is replaced.
    """
    out = stream if stream is not None else sys.stdout
    shared = _shared_processors()
    renderer: structlog.typing.Processor
    if format == "json":
        final: list[structlog.typing.Processor] = [structlog.processors.dict_tracebacks]
        renderer = structlog.processors.JSONRenderer(default=str)
    elif format == "console":
        final = []
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    else:
        raise ValueError(f"log format must be 'console' or 'json', got {format!r}")

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Module-level loggers may be first used before this runs; caching would pin the old setup.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final, renderer],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in _LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers = []
        library_logger.propagate = True


def current_correlation_id() -> str | None:
    """The correlation id of the request or message being handled, if any."""
    return _correlation_id.get()


def bind_correlation_id(value: str) -> None:
    """Make `value` the correlation id of the current context (a task, a message handler).

    Every log line from this context carries it, and commands take it into their events.
    """
    _correlation_id.set(value)
    structlog.contextvars.bind_contextvars(**{CORRELATION_ID_KEY: value})


@contextmanager
def correlation_id_bound(value: str) -> Iterator[str]:
    """Bind `value` for the duration of a block, then restore what was bound before."""
    token = _correlation_id.set(value)
    try:
        with structlog.contextvars.bound_contextvars(**{CORRELATION_ID_KEY: value}):
            yield value
    finally:
        _correlation_id.reset(token)


def new_correlation_id() -> str:
    return str(uuid4())


def acceptable_correlation_id(value: str | None) -> TypeGuard[str]:
    return value is not None and _ACCEPTABLE_CORRELATION_ID.fullmatch(value) is not None


class CorrelationIdMiddleware:
    """ASGI middleware: one correlation id per request, taken from the caller or made here.

    The id comes from the `X-Correlation-ID` header when it is a plain token (letters, digits,
    `._:-`, at most 128 characters), otherwise a new uuid4. It is bound for the request (logs,
    `current_correlation_id()`, `request.state.correlation_id`) and echoed in the response's
    `X-Correlation-ID` header.
    """

    def __init__(self, app: ASGIApp, header_name: str = CORRELATION_ID_HEADER) -> None:
        self.app = app
        self.header_name = header_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(self.header_name)
        correlation_id = incoming if acceptable_correlation_id(incoming) else new_correlation_id()
        # Also on `request.state`: the 500 handler runs outside this middleware's context.
        scope.setdefault("state", {})[CORRELATION_ID_KEY] = correlation_id

        async def send_with_correlation_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[self.header_name] = correlation_id
            await send(message)

        with correlation_id_bound(correlation_id):
            await self.app(scope, receive, send_with_correlation_id)
