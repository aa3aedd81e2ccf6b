"""Liveness (`/healthz`) and readiness (`/readyz`) endpoints with checks of the service's stores.

Liveness says only that the process answers; readiness says it can do its work now, so a load
balancer sends it traffic only while PostgreSQL and NATS both answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse

if TYPE_CHECKING:
    import asyncpg
    from nats.aio.client import Client as NatsClient

HealthCheck = Callable[[], Awaitable[None]]

DEFAULT_CHECK_TIMEOUT_S = 2.0
OK = "ok"

_log = structlog.get_logger("daybook.health")


async def _run_check(check: HealthCheck, timeout_s: float) -> str:
    try:
        await asyncio.wait_for(check(), timeout=timeout_s)
    except TimeoutError:
        return f"TimeoutError: no answer within {timeout_s:g} s"
    # A readiness probe reports any failure of the dependency it probes rather than crashing.
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return OK


def health_router(
    checks: Mapping[str, HealthCheck], *, timeout_s: float = DEFAULT_CHECK_TIMEOUT_S
) -> APIRouter:
    """`/healthz` answers 200 while the process runs; `/readyz` runs every check concurrently.

    `/readyz` answers 200 `{"status": "ready", "checks": {"postgres": "ok", ...}}`, or 503
    `{"status": "unavailable", "failing": [...], "checks": {"nats": "<error>", ...}}`; a check
    that takes longer than `timeout_s` fails.
    """
    named_checks = dict(checks)
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        names = list(named_checks)
        outcomes = await asyncio.gather(
            *(_run_check(named_checks[name], timeout_s) for name in names)
        )
        results = dict(zip(names, outcomes, strict=True))
        failing = [name for name, outcome in results.items() if outcome != OK]
        if failing:
            _log.warning("not_ready", failing=failing, checks=results)
            return JSONResponse(
                status_code=503,
                content={"status": "unavailable", "failing": failing, "checks": results},
            )
        return JSONResponse(status_code=200, content={"status": "ready", "checks": results})

    return router


def postgres_check(pool: asyncpg.Pool | Callable[[], asyncpg.Pool]) -> HealthCheck:
    """PostgreSQL answers a query through the service's pool.

    `pool` is the pool, or a function returning it when it exists only after start-up.
    """

    async def check_postgres() -> None:
        current = pool() if callable(pool) else pool
        async with current.acquire() as connection:
            await connection.fetchval("SELECT 1")

    return check_postgres


def nats_check(
    nc: NatsClient | Callable[[], NatsClient], *, timeout_s: float = DEFAULT_CHECK_TIMEOUT_S
) -> HealthCheck:
    """The NATS connection is up and the server answers a ping (a flush round-trip).

    `nc` is the client, or a function returning it when it exists only after start-up (for
    example `lambda: broker.connection` with FastStream).
    """

    async def check_nats() -> None:
        client = nc() if callable(nc) else nc
        if not client.is_connected:
            state = "closed" if client.is_closed else "not connected"
            raise ConnectionError(f"NATS connection is {state}")
        await client.flush(timeout=timeout_s)  # type: ignore[arg-type]

    return check_nats
