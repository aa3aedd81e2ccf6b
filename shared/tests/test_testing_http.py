"""`serve_app`: an in-process client for an ASGI app, with the app's lifespan run."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from daybook_shared.testing.http import serve_app, serve_app_with_database


def _app_with_lifespan(events: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        events.append("started")
        yield {"resource": "opened at start-up"}
        events.append("stopped")

    app = FastAPI(lifespan=lifespan)

    @app.get("/resource")
    async def resource(request: Request) -> dict[str, str]:
        return {"resource": request.state.resource, "host": request.url.hostname or ""}

    return app


async def test_serve_app_runs_start_up_before_requests_and_shut_down_after() -> None:
    events: list[str] = []

    async with serve_app(_app_with_lifespan(events)) as client:
        assert events == ["started"]
        response = await client.get("/resource")

    assert response.status_code == 200
    assert response.json() == {"resource": "opened at start-up", "host": "test"}
    assert events == ["started", "stopped"]


async def test_serve_app_with_database_also_connects_to_the_database(database_url: str) -> None:
    events: list[str] = []

    async with serve_app_with_database(_app_with_lifespan(events), database_url) as (client, db):
        assert events == ["started"]
        assert (await client.get("/resource")).status_code == 200
        assert await db.fetchval("SELECT current_database()") == database_url.rsplit("/", 1)[1]

    assert db.is_closed()
    assert events == ["started", "stopped"]
