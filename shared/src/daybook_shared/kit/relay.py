"""The outbox relay: publishes committed events to JetStream in commit order, exactly once in effect.

Store, then publish. The relay reads the event log after its recorded watermark (see
`EventStore.read_log` for why no event is skipped), publishes each event with
`Nats-Msg-Id = event_id`, checks every PubAck, and only then records how far it got. A crash after
publishing and before recording republishes; JetStream's duplicate window drops the copy and the
consumers' inbox would drop it too. With NATS down, commands still commit; the relay backs off and
catches up. One relay per service is active at a time (a PostgreSQL advisory lock), so replicas
never publish out of order.

Waking: after a command commits, `CommitNotifier` wakes the relay directly when it leads in this
process, and otherwise sends a NOTIFY that the leading replica LISTENs for; a periodic sweep is the
fallback. The NOTIFY is sent after the commit on purpose: issued inside the writing transaction,
PostgreSQL serialises every notifying commit under one lock, which cost 40% of the throughput
with 32 concurrent writers here (`bench/kit.py`). Notifications are coalesced: at most one is in
flight, and one is always sent after the latest commit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg
import nats.errors
import structlog
from nats.js import JetStreamContext

from daybook_shared.kit.db import connect
from daybook_shared.kit.eventstore import EventStore, LoggedEvent, Position

log = structlog.get_logger("daybook.relay")


def channel_for(schema: str) -> str:
    return f"daybook_events_{schema}"


class PublishError(Exception):
    """JetStream did not acknowledge a publish."""


class OutboxRelay:
    def __init__(
        self,
        store: EventStore,
        js: JetStreamContext,
        *,
        dsn: str,
        schema: str,
        name: str = "relay",
        batch_size: int = 500,
        sweep_interval: float = 1.0,
        ack_timeout: float = 5.0,
        on_published: Callable[[int, int], None] | None = None,
    ) -> None:
        self.store = store
        self.js = js
        self.dsn = dsn
        self.schema = schema
        self.name = name
        self.batch_size = batch_size
        self.sweep_interval = sweep_interval
        self.ack_timeout = ack_timeout
        self.catch_up_interval = min(0.02, sweep_interval)
        self.on_published = on_published
        self.channel = channel_for(schema)
        self._wake = asyncio.Event()
        self.is_leader = False

    async def position(self) -> Position:
        async with self.store.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT tx_id::text::bigint AS tx, position FROM log_readers WHERE name = $1",
                self.name,
            )
        return Position(row["tx"], row["position"]) if row else Position()

    async def _record(self, conn: asyncpg.Connection, at: Position) -> None:
        await conn.execute(
            """INSERT INTO log_readers (name, tx_id, position, updated_at)
               VALUES ($1, $2::text::xid8, $3, now())
               ON CONFLICT (name) DO UPDATE
               SET tx_id = EXCLUDED.tx_id, position = EXCLUDED.position, updated_at = now()""",
            self.name,
            str(at.tx_id),
            at.position,
        )

    async def backlog(self) -> int:
        """Events stored but not yet published."""
        at = await self.position()
        async with self.store.pool.acquire() as conn:
            return await conn.fetchval(
                "SELECT count(*) FROM events WHERE (tx_id, position) > ($1::text::xid8, $2)",
                str(at.tx_id),
                at.position,
            )

    async def _publish(self, batch: list[LoggedEvent]) -> Position | None:
        """Publish a batch pipelined; return the last position acknowledged without a gap."""
        futures: list[asyncio.Future] = []
        try:
            for item in batch:
                futures.append(
                    await self.js.publish_async(
                        item.subject, item.body, headers={"Nats-Msg-Id": str(item.event_id)}
                    )
                )
        except Exception as exc:  # NATS refused before anything was acknowledged
            for future in futures:
                future.cancel()
            raise PublishError(f"publish refused: {exc!r}") from exc
        done: Position | None = None
        failure: BaseException | None = None
        for item, future in zip(batch, futures, strict=True):
            if failure is None:
                try:
                    async with asyncio.timeout(self.ack_timeout):
                        ack = await future
                    if ack.stream is None:
                        raise PublishError(f"no stream acknowledged {item.subject}")
                    done = item.at
                    continue
                except Exception as exc:  # any failure stops the batch at its first gap
                    failure = exc
            future.cancel()
        if failure is not None:
            log.warning("relay.publish_failed", error=str(failure), published=done)
            if done is None:
                raise PublishError(str(failure)) from failure
        return done

    async def publish_pending(self) -> int:
        """Publish everything committed since the watermark; returns how many were published.

        The next batch is read from PostgreSQL while the current one's acknowledgements arrive.
        """
        total = 0
        batch = await self.store.read_log(await self.position(), limit=self.batch_size)
        while batch:
            following = asyncio.create_task(
                self.store.read_log(batch[-1].at, limit=self.batch_size)
            )
            try:
                reached = await self._publish(batch)
            except BaseException:
                following.cancel()
                raise
            if reached is None:
                following.cancel()
                return total
            count = sum(1 for item in batch if item.at <= reached)
            async with self.store.pool.acquire() as conn:
                await self._record(conn, reached)
            total += count
            if self.on_published is not None:
                self.on_published(count, len(batch) - count)
            if count < len(batch):
                following.cancel()
                raise PublishError("a publish in the batch was not acknowledged")
            batch = await following
        return total

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Relay forever: wait to lead, then publish on every commit notification or sweep."""
        backoff = self.sweep_interval
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await connect(self.dsn, self.schema)
                await self._lead(conn)
                backoff = self.sweep_interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("relay.retry", error=str(exc), in_seconds=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
            finally:
                self.is_leader = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.shield(conn.close(timeout=2))

    async def _lead(self, conn: asyncpg.Connection) -> None:
        lock = f"daybook-relay:{self.schema}:{self.name}"
        # Polled rather than blocking in pg_advisory_lock: a cancelled wait must not keep a
        # server-side lock request alive after this task is gone.
        while not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", lock):  # noqa: ASYNC110
            await asyncio.sleep(self.sweep_interval)
        self.is_leader = True
        await conn.add_listener(self.channel, lambda *_: self._wake.set())
        log.info("relay.leading", schema=self.schema)
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.publish_pending()
                failures = 0
            except (TimeoutError, PublishError, OSError, nats.errors.Error) as exc:
                failures += 1
                delay = min(self.sweep_interval * 2**failures, 30.0)
                log.warning("relay.nats_unavailable", error=str(exc), retry_in=delay)
                await asyncio.sleep(delay)
                continue
            if conn.is_closed():
                raise ConnectionError("relay lost its PostgreSQL connection")
            # Committed events still behind the watermark (an older transaction is running,
            # on any database of the server) are retried soon, not at the next sweep.
            pause = self.catch_up_interval if await self.backlog() else self.sweep_interval
            with contextlib.suppress(asyncio.TimeoutError):
                async with asyncio.timeout(pause):
                    await self._wake.wait()


class CommitNotifier:
    """Wakes the relay after commits: in-process when it leads here, else by a coalesced NOTIFY."""

    def __init__(self, pool: asyncpg.Pool, schema: str, relay: OutboxRelay | None = None) -> None:
        self.pool = pool
        self.channel = channel_for(schema)
        self.relay = relay
        self._dirty = asyncio.Event()

    def poke(self) -> None:
        if self.relay is not None and self.relay.is_leader:
            self.relay.wake()
        else:
            self._dirty.set()

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()  # a commit after this point sets it again: nothing is missed
            try:
                await self.pool.execute("SELECT pg_notify($1, '')", self.channel)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("relay.notify_failed", error=str(exc))
                self._dirty.set()
                await asyncio.sleep(1.0)
