"""Liveness and readiness: `/readyz` checks the real PostgreSQL and NATS, and names what fails."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import asyncpg
import httpx
import nats
import pytest
from fastapi import FastAPI
from nats.aio.client import Client as NatsClient

from daybook_shared.runtime.health import health_router, nats_check, postgres_check

# Environment first (CI, deployments), then the servers this machine runs on loopback.
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=2)
    yield pool
    await pool.close()


@pytest.fixture
async def nc() -> AsyncIterator[NatsClient]:
    client = await nats.connect(NATS_URL, allow_reconnect=False)
    yield client
    await client.close()


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


def app_with(checks, timeout_s: float = 2.0) -> FastAPI:  # type: ignore[no-untyped-def]
    app = FastAPI()
    app.include_router(health_router(checks, timeout_s=timeout_s))
    return app


async def test_healthz_answers_while_the_process_runs() -> None:
    async def never_ready() -> None:
        raise ConnectionError("down")

    response = await get(app_with({"postgres": never_ready}), "/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_ready_when_postgres_and_nats_answer(pool: asyncpg.Pool, nc: NatsClient) -> None:
    app = app_with({"postgres": postgres_check(pool), "nats": nats_check(nc)})

    response = await get(app, "/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"postgres": "ok", "nats": "ok"}}


async def test_closed_nats_connection_makes_the_service_unready(
    pool: asyncpg.Pool, nc: NatsClient
) -> None:
    app = app_with({"postgres": postgres_check(pool), "nats": nats_check(nc)})
    await nc.close()

    response = await get(app, "/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failing"] == ["nats"]
    assert body["checks"] == {
        "postgres": "ok",
        "nats": "ConnectionError: NATS connection is closed",
    }


async def test_closed_postgres_pool_makes_the_service_unready(
    pool: asyncpg.Pool, nc: NatsClient
) -> None:
    app = app_with({"postgres": postgres_check(pool), "nats": nats_check(nc)})
    await pool.close()

    response = await get(app, "/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["postgres"]
    assert body["checks"]["nats"] == "ok"
    assert body["checks"]["postgres"].startswith("InterfaceError")


async def test_nats_check_takes_a_client_that_appears_after_start_up(nc: NatsClient) -> None:
    holder: dict[str, NatsClient] = {}
    app = app_with({"nats": nats_check(lambda: holder["client"])})

    before = await get(app, "/readyz")
    holder["client"] = nc
    after = await get(app, "/readyz")

    assert before.status_code == 503
    assert before.json()["checks"]["nats"] == "KeyError: 'client'"
    assert after.status_code == 200


async def test_postgres_check_takes_a_pool_that_appears_after_start_up(
    pool: asyncpg.Pool,
) -> None:
    holder: dict[str, asyncpg.Pool] = {}
    app = app_with({"postgres": postgres_check(lambda: holder["pool"])})

    before = await get(app, "/readyz")
    holder["pool"] = pool
    after = await get(app, "/readyz")

    assert before.status_code == 503
    assert after.status_code == 200
    assert after.json()["checks"] == {"postgres": "ok"}


async def test_a_check_that_hangs_fails_after_the_timeout() -> None:
    never = asyncio.Event()

    async def hangs() -> None:
        await never.wait()

    async def fine() -> None:
        return None

    response = await get(app_with({"slow": hangs, "fast": fine}, timeout_s=0.05), "/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["slow"]
    assert body["checks"] == {"slow": "TimeoutError: no answer within 0.05 s", "fast": "ok"}


async def test_no_checks_means_ready() -> None:
    response = await get(app_with({}), "/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {}}
