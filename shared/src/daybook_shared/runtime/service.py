"""The composition root every service shares: settings in, a FastAPI app with the whole kit out.

Nothing connects at import time or in `build_service`; connections open in the app's lifespan:
the asyncpg pool (schema migrated), NATS (own stream declared, consumed streams ensured), the
outbox relay, the projections' durable consumers, the service's scheduled jobs and a metrics loop.
The same `build_service` also yields the AsyncAPI document without connecting to anything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any

import asyncpg
import nats
import nats.errors
import nats.js.errors
import structlog
from fastapi import APIRouter, Depends, FastAPI, Request
from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from pydantic import create_model

from daybook_shared.contracts import REGISTRY, Envelope, Namespace, Payload
from daybook_shared.errors import Conflict, NotFound
from daybook_shared.kit.consumer import (
    ConsumerSettings,
    DeadLetters,
    DurableConsumer,
    Projection,
    ProjectionRunner,
    attach_projection,
)
from daybook_shared.kit.db import create_pool
from daybook_shared.kit.eventstore import (
    CommandMeta,
    CommandOutcome,
    ConcurrencyError,
    EventStore,
    IdempotencyConflictError,
    UnitOfWork,
    fingerprint,
)
from daybook_shared.kit.migrator import migrate
from daybook_shared.kit.relay import CommitNotifier, OutboxRelay
from daybook_shared.runtime.auth import JwtAuthenticator, Principal, Role, require_roles
from daybook_shared.runtime.clock import Clock, FileClock, SystemClock
from daybook_shared.runtime.errors import install_error_handlers
from daybook_shared.runtime.health import health_router, nats_check, postgres_check
from daybook_shared.runtime.logging import CorrelationIdMiddleware, current_correlation_id
from daybook_shared.runtime.metrics import ServiceMetrics, install_metrics
from daybook_shared.runtime.settings import ServiceSettings

log = structlog.get_logger("daybook.service")

Job = Callable[["ServiceKit"], Coroutine[Any, Any, None]]


@dataclass
class ServiceSpec:
    """What makes one service different from another; everything else is the kit."""

    name: str
    context: str
    version: str = "0.1.0"
    description: str = ""
    migrations: Sequence[str] = ()
    routers: Sequence[APIRouter] = ()
    projections: Sequence[Projection] = ()
    jobs: Sequence[Job] = ()
    # Streams this service reads but does not own (its projections' contexts are added).
    consumes: Sequence[str] = ()


@dataclass
class ServiceKit:
    """The running service's parts, reachable from routes with `Depends(get_kit)`."""

    spec: ServiceSpec
    settings: ServiceSettings
    clock: Clock
    namespace: Namespace
    metrics: ServiceMetrics
    broker: NatsBroker
    runners: dict[str, ProjectionRunner] = field(default_factory=dict)
    consumers: list[DurableConsumer] = field(default_factory=list)
    pool: asyncpg.Pool | None = None
    store: EventStore | None = None
    nc: NatsClient | None = None
    js: JetStreamContext | None = None
    relay: OutboxRelay | None = None
    dead_letters: DeadLetters | None = None

    def count_appended(self, events: Sequence[Any]) -> None:
        for event in events:
            self.metrics.events_appended.labels(event_type=event.event_type).inc()

    @property
    def projections(self) -> dict[str, Projection]:
        return {name: runner.projection for name, runner in self.runners.items()}

    def meta(
        self, principal: Principal | None = None, causation_id: str | None = None
    ) -> CommandMeta:
        return CommandMeta(
            recorded_at=self.clock.now(),
            actor_id=principal.subject if principal else None,
            correlation_id=current_correlation_id(),
            causation_id=causation_id,
        )

    async def execute(
        self,
        command: str,
        handler: Callable[[UnitOfWork], Awaitable[Any]],
        *,
        principal: Principal | None,
        idempotency_key: str | None = None,
        request: Any = None,
    ) -> CommandOutcome:
        """Run a command handler in one transaction, counting the outcome.

        An idempotency key is scoped to the caller and the command, so two clients cannot collide;
        `request` (any JSON-able value) is fingerprinted to tell a retry from a different request.
        """
        assert self.store is not None, "the service is not started"
        key = None
        if idempotency_key:
            who = principal.subject if principal else "-"
            key = f"{who}:{command}:{idempotency_key}"
        try:
            outcome = await self.store.execute(
                handler,
                meta=self.meta(principal),
                idempotency_key=key,
                fingerprint=fingerprint(request),
            )
        except ConcurrencyError:
            self.metrics.commands_total.labels(command=command, outcome="conflict").inc()
            raise
        except Exception:
            self.metrics.commands_total.labels(command=command, outcome="rejected").inc()
            raise
        label = "replayed" if outcome.replayed else "accepted"
        self.metrics.commands_total.labels(command=command, outcome=label).inc()
        return outcome


def get_kit(request: Request) -> ServiceKit:
    kit: ServiceKit = request.app.state.kit
    return kit


Kit = Annotated[ServiceKit, Depends(get_kit)]


def every(interval: timedelta, job: Job, *, name: str) -> Job:
    """A scheduled job: run `job` every `interval`, logging (not dying of) a failed run.

    Jobs must be idempotent (deterministic event ids): every replica runs them.
    """

    async def periodic(kit: ServiceKit) -> None:
        while True:
            try:
                await job(kit)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("job.failed", job=name, error=repr(exc))
            await asyncio.sleep(interval.total_seconds())

    periodic.__name__ = name
    return periodic


def document_events(broker: NatsBroker, namespace: Namespace, context: str) -> None:
    """Declare (for AsyncAPI only) every event this context publishes, with its payload schema."""
    for model in REGISTRY:
        if model.context != context:
            continue
        latest = REGISTRY.latest_version(model.event_type)
        if model.schema_version != latest:
            continue
        message = _message_model(model)
        broker.publisher(
            namespace.subject(context, model.event_type, "*"),
            stream=namespace.stream_name(context),
            title=f"{model.event_type}",
            description=(model.__doc__ or model.event_type).strip(),
            schema=message,
        )


def _message_model(model: type[Payload]) -> type:
    return create_model(
        f"{model.event_type}Message",
        __base__=Envelope,
        __doc__=f"The envelope of {model.event_type} v{model.schema_version}.",
        payload=(model, ...),
    )


def asyncapi_document(app: FastAPI) -> dict[str, Any]:
    kit: ServiceKit = app.state.kit
    spec = AsyncAPI(
        kit.broker,
        title=f"Daybook {kit.spec.name}",
        version=kit.spec.version,
        description=kit.spec.description or None,
    )
    document: dict[str, Any] = spec.to_specification().to_jsonable()
    return document


def build_service(
    spec: ServiceSpec,
    settings: ServiceSettings,
    *,
    clock: Clock | None = None,
) -> FastAPI:
    namespace = Namespace(settings.namespace)
    metrics = ServiceMetrics(spec.name)
    # The broker describes what the service publishes and consumes (AsyncAPI); it never
    # connects: the relay publishes and the durable consumers fetch with nats-py directly.
    broker = NatsBroker(settings.nats_url, logger=None)
    kit = ServiceKit(
        spec=spec,
        settings=settings,
        clock=clock or (FileClock(settings.clock_file) if settings.clock_file else SystemClock()),
        namespace=namespace,
        metrics=metrics,
        broker=broker,
    )
    consumer_settings = ConsumerSettings(
        batch_size=settings.consumer_batch_size,
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_s,
    )
    for projection in spec.projections:
        runner, consumers = attach_projection(
            broker,
            None,
            projection,
            namespace=namespace,
            settings=consumer_settings,
            metrics=metrics,
        )
        kit.runners[projection.name] = runner
        kit.consumers.extend(consumers)
    document_events(broker, namespace, spec.context)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        try:
            await _start(kit, tasks)
            yield
        finally:
            await _stop(kit, tasks)

    app = FastAPI(
        title=f"Daybook {spec.name}",
        version=spec.version,
        description=spec.description,
        lifespan=lifespan,
    )
    app.state.kit = kit
    app.state.authenticator = JwtAuthenticator.from_settings(settings)
    install_error_handlers(app, extra={ConcurrencyError: 409, IdempotencyConflictError: 422})
    install_metrics(app, metrics)
    app.add_middleware(CorrelationIdMiddleware)
    app.include_router(
        health_router(
            {
                "postgres": lambda: postgres_check(_require(kit.pool))(),
                "nats": nats_check(lambda: _require(kit.nc)),
            }
        )
    )

    app.include_router(_admin_router())

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> dict[str, Any]:
        return asyncapi_document(app)

    for router in spec.routers:
        app.include_router(router)
    return app


def _admin_router() -> APIRouter:
    """Operations every service offers to hr: the dead letters of its consumers."""
    router = APIRouter(prefix="/admin", tags=["admin"])
    hr_only = Depends(require_roles(Role.HR))

    @router.get("/dead-letters", dependencies=[hr_only])
    async def list_dead_letters(
        kit: Kit, consumer: str | None = None, include_replayed: bool = False
    ) -> list[dict[str, Any]]:
        letters = await _require(kit.dead_letters).list(
            consumer=consumer, include_replayed=include_replayed
        )
        return [
            {k: v for k, v in vars(letter).items() if k != "data"}
            | {"data": letter.data.decode("utf-8", "replace")}
            for letter in letters
        ]

    @router.post("/dead-letters/{dead_letter_id}/replay", dependencies=[hr_only])
    async def replay_dead_letter(dead_letter_id: int, kit: Kit) -> dict[str, Any]:
        letters = {d.id: d for d in await _require(kit.dead_letters).list(include_replayed=True)}
        letter = letters.get(dead_letter_id)
        if letter is None:
            raise NotFound(f"no dead letter {dead_letter_id}")
        projection = kit.projections.get(letter.consumer)
        if projection is None:
            raise NotFound(
                f"dead letter {dead_letter_id} belongs to unknown consumer {letter.consumer!r}"
            )
        applied = await _require(kit.dead_letters).replay(dead_letter_id, projection)
        if not applied:
            after = next(
                d
                for d in await _require(kit.dead_letters).list(include_replayed=True)
                if d.id == dead_letter_id
            )
            raise Conflict(f"dead letter {dead_letter_id} still fails: {after.error}")
        return {"id": dead_letter_id, "replayed": True}

    return router


def _require(value: Any) -> Any:
    if value is None:
        raise ConnectionError("not started yet")
    return value


async def _start(kit: ServiceKit, tasks: list[asyncio.Task[None]]) -> None:
    settings = kit.settings
    schema = settings.database_schema
    kit.pool = await create_pool(settings.database_url, schema)
    async with kit.pool.acquire() as conn:
        applied = await migrate(conn, schema, ["daybook_shared.kit", *kit.spec.migrations])
    if applied:
        log.info("migrations.applied", service=kit.spec.name, applied=applied)
    kit.store = EventStore(
        kit.pool,
        producer=kit.spec.name,
        namespace=kit.namespace,
        on_appended=kit.count_appended,
    )
    kit.dead_letters = DeadLetters(kit.pool)
    kit.nc = await nats.connect(
        settings.nats_url,
        user=settings.nats_user,
        password=settings.nats_password.get_secret_value() if settings.nats_password else None,
        name=f"daybook-{kit.spec.name}",
        max_reconnect_attempts=-1,
        connect_timeout=5,
    )
    kit.js = kit.nc.jetstream()
    await _ensure_stream(
        kit.js, kit.namespace, kit.spec.context, own=True, replicas=settings.stream_replicas
    )
    consumed = {c for p in kit.spec.projections for c in p.contexts} | set(kit.spec.consumes)
    for context in sorted(consumed - {kit.spec.context}):
        await _ensure_stream(
            kit.js, kit.namespace, context, own=False, replicas=settings.stream_replicas
        )

    kit.relay = OutboxRelay(
        kit.store,
        kit.js,
        dsn=settings.database_url,
        schema=schema,
        batch_size=settings.relay_batch_size,
        sweep_interval=settings.relay_sweep_interval_s,
        on_published=lambda done, _: kit.metrics.events_published.inc(done),
    )
    tasks.append(asyncio.create_task(kit.relay.run(), name=f"{kit.spec.name}-relay"))
    notifier = CommitNotifier(kit.pool, schema, kit.relay)
    kit.store.on_committed = notifier.poke
    tasks.append(asyncio.create_task(notifier.run(), name=f"{kit.spec.name}-notifier"))

    for runner in kit.runners.values():
        runner.pool = kit.pool
    for consumer in kit.consumers:
        tasks.append(asyncio.create_task(consumer.run(kit.js), name=consumer.durable))
    for job in kit.spec.jobs:
        tasks.append(asyncio.create_task(job(kit), name=getattr(job, "__name__", "job")))
    tasks.append(asyncio.create_task(_metrics_loop(kit), name="metrics"))
    log.info("service.started", service=kit.spec.name, namespace=kit.namespace.prefix)


async def _stop(kit: ServiceKit, tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    if tasks:
        _, stuck = await asyncio.wait(tasks, timeout=5.0)
        if stuck:
            log.warning("service.tasks_slow_to_stop", tasks=[t.get_name() for t in stuck])
    if kit.nc is not None:
        with contextlib.suppress(Exception):
            await kit.nc.close()
    if kit.pool is not None:
        try:
            # A query cancelled with its task can keep a connection busy while the server
            # processes the cancel; do not let that hold the shutdown for long.
            async with asyncio.timeout(5.0):
                await kit.pool.close()
        except TimeoutError:
            log.warning("service.pool_close_timeout", service=kit.spec.name)
            kit.pool.terminate()
    log.info("service.stopped", service=kit.spec.name)


async def _ensure_stream(
    js: JetStreamContext, namespace: Namespace, context: str, *, own: bool, replicas: int = 1
) -> None:
    """The producer declares its stream; a reader creates a missing one only where it may.

    Both use `Namespace.stream_config`, so whoever starts first declares the identical stream.
    Where NATS permissions let only the owner manage its stream (deploy/nats), the reader's
    request is refused and it waits for the owner instead.
    """
    config = namespace.stream_config(context, replicas=replicas)
    assert config.name is not None
    try:
        await js.stream_info(config.name)
        if own:
            await js.update_stream(config)
        return
    except NotFoundError:
        pass
    try:
        await js.add_stream(config)
        return
    except (nats.errors.TimeoutError, nats.js.errors.APIError) as exc:
        if own:
            raise
        log.warning("stream.waiting_for_owner", stream=config.name, error=repr(exc))
    while True:
        await asyncio.sleep(1.0)
        try:
            await js.stream_info(config.name)
            return
        except (NotFoundError, nats.errors.TimeoutError):
            continue


async def _metrics_loop(kit: ServiceKit, interval: float = 5.0) -> None:
    """Refresh the gauges that need a query: relay backlog, consumer pending, dead letters."""
    while True:
        try:
            if kit.relay is not None:
                kit.metrics.relay_lag.set(await kit.relay.backlog())
            assert kit.pool is not None
            rows = await kit.pool.fetch(
                "SELECT consumer, count(*) AS n FROM dead_letters WHERE replayed_at IS NULL "
                "GROUP BY consumer"
            )
            for name in kit.runners:
                kit.metrics.dead_letters.labels(consumer=name).set(0)
            for row in rows:
                kit.metrics.dead_letters.labels(consumer=row["consumer"]).set(row["n"])
            if kit.js is not None:
                for name, runner in kit.runners.items():
                    pending = 0
                    for context in runner.projection.contexts:
                        info = await kit.js.consumer_info(
                            kit.namespace.stream_name(context), f"{name}_{context}"
                        )
                        pending += info.num_pending or 0
                    kit.metrics.consumer_lag.labels(consumer=name).set(pending)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # a client library swallowed the cancel
                raise asyncio.CancelledError from exc
            log.warning("metrics.refresh_failed", error=repr(exc))
        await asyncio.sleep(interval)


def run(app_factory: Callable[[], FastAPI], settings: ServiceSettings) -> None:
    """`python -m daybook_<service>`: configure logging and serve the app with uvicorn."""
    import uvicorn

    from daybook_shared.runtime.logging import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    uvicorn.run(
        app_factory(),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
