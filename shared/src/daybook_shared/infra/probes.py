"""Does a server answer? Short, bounded checks for NATS with JetStream and for PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urlsplit

import asyncpg
import nats

T = TypeVar("T")

ATTEMPT_TIMEOUT_S = 1.0

# What a server that is absent, starting or misconfigured raises; anything else is a bug.
_NOT_YET = (
    OSError,
    TimeoutError,
    nats.errors.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


class InfraError(RuntimeError):
    """A server could not be found or started; the message says what was tried."""


def run_blocking(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine from synchronous code, even when the calling thread runs an event loop.

    The finder is synchronous (a pytest session fixture, a command line), yet it may be called
    from inside a running loop; a private thread with its own loop serves both.
    """

    async def main() -> T:
        return await make_coroutine()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="daybook-infra") as pool:
        return pool.submit(asyncio.run, main()).result()


async def check_nats(url: str) -> None:
    """One attempt: connect and ask JetStream for the account; raises when either fails."""
    await _read_nats_greeting(url)
    client = await nats.connect(
        url,
        connect_timeout=ATTEMPT_TIMEOUT_S,
        allow_reconnect=False,
        max_reconnect_attempts=0,
        name="daybook-infra-probe",
        error_cb=_ignore,
    )
    try:
        await client.jetstream(timeout=ATTEMPT_TIMEOUT_S).account_info()
    finally:
        await client.close()


async def _read_nats_greeting(url: str) -> None:
    """A NATS server greets every connection with `INFO {...}`.

    Reading it first fails fast where nothing listens; the client library would instead wait
    out its reconnect delay and log a traceback.
    """
    parts = urlsplit(url.split(",")[0].strip())
    reader, writer = await asyncio.open_connection(
        parts.hostname or "127.0.0.1", parts.port or 4222
    )
    try:
        greeting = await asyncio.wait_for(reader.readline(), timeout=ATTEMPT_TIMEOUT_S)
    finally:
        writer.close()
    if not greeting.startswith(b"INFO "):
        raise OSError(f"not a NATS server (it said {greeting[:40]!r})")


async def _ignore(error: Exception) -> None:
    """Connection errors surface as exceptions from the probe; nothing else to report."""


async def check_postgres(url: str) -> None:
    """One attempt: connect and run `SELECT 1`; raises when either fails."""
    connection = await asyncpg.connect(url, timeout=ATTEMPT_TIMEOUT_S)
    try:
        await connection.fetchval("SELECT 1", timeout=ATTEMPT_TIMEOUT_S)
    finally:
        await connection.close(timeout=ATTEMPT_TIMEOUT_S)


async def wait_until_ready(
    check: Callable[[], Awaitable[None]],
    *,
    what: str,
    within_s: float,
    interval: float = 0.02,
    gave_up: Callable[[], str | None] = lambda: None,
) -> None:
    """Repeat `check` until it succeeds, `gave_up()` returns a reason, or `within_s` passes."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        try:
            await asyncio.wait_for(check(), timeout=ATTEMPT_TIMEOUT_S * 2)
        except _NOT_YET as e:
            last = f"{type(e).__name__}: {e}".rstrip(": ")
        else:
            return
        reason = gave_up()
        if reason is not None:
            raise InfraError(f"{what} did not come up: {reason} (last attempt: {last})")
        if loop.time() >= deadline:
            raise InfraError(f"{what} did not answer within {within_s:g} s (last attempt: {last})")
        await asyncio.sleep(interval)


def nats_answers(url: str, *, timeout: float = 2.0) -> str | None:
    """None when NATS with JetStream answers at `url`, else why not."""
    return _answers(lambda: check_nats(url), what=f"NATS at {url}", timeout=timeout)


def postgres_answers(url: str, *, timeout: float = 2.0) -> str | None:
    """None when PostgreSQL answers at `url`, else why not."""
    return _answers(lambda: check_postgres(url), what=f"PostgreSQL at {url}", timeout=timeout)


def _answers(check: Callable[[], Awaitable[None]], *, what: str, timeout: float) -> str | None:
    try:
        run_blocking(lambda: wait_until_ready(check, what=what, within_s=timeout, interval=0.1))
    except InfraError as e:
        return str(e)
    return None
