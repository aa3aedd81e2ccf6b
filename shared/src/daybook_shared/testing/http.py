"""Talk to an ASGI app in-process, with its lifespan run as a server would run it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

# Start-up may apply migrations and connect to NATS: allow more than the library's 5 s.
LIFESPAN_TIMEOUT_S = 30.0


@asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Run `app`'s start-up, yield a client that calls it, run its shut-down on exit.

    `httpx.ASGITransport` alone does not run the lifespan, so an app that builds its pool or
    broker at start-up would answer without them.
    """
    async with LifespanManager(
        app, startup_timeout=LIFESPAN_TIMEOUT_S, shutdown_timeout=LIFESPAN_TIMEOUT_S
    ) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@asynccontextmanager
async def serve_app_with_database(
    app: Any, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, asyncpg.Connection]]:
    """`serve_app(app)` and a connection to the service's database (to look at its tables),
    both closed on exit."""
    async with serve_app(app) as client:
        db = await asyncpg.connect(database_url)
        try:
            yield client, db
        finally:
            await db.close()
