"""Test helpers: wait on an outcome, read what a context published, clean a namespace up."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from daybook_shared.contracts import Envelope, Namespace

T = TypeVar("T")

FETCH_WAIT_S = 0.5
# An inspection consumer outlives a crashed test only briefly.
INSPECTION_INACTIVE_S = 30.0


@overload
async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...


@overload
async def eventually(
    check: Callable[[], T],
    *,
    timeout: float = ...,  # noqa: ASYNC109
    interval: float = ...,
) -> T: ...


async def eventually(
    check: Callable[[], Any],
    *,
    timeout: float = 10.0,  # noqa: ASYNC109 (a deadline for the whole polling, not one call)
    interval: float = 0.02,
) -> Any:
    """Call `check` (sync or async) until it passes; return its last value.

    It passes when it raises no AssertionError and returns None or a truthy value. On timeout
    the last AssertionError is raised again, or one saying what the check last returned.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    name = getattr(check, "__qualname__", repr(check))
    while True:
        remaining = max(deadline - loop.time(), interval)
        failure: AssertionError
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await asyncio.wait_for(value, timeout=remaining)
        except AssertionError as error:
            failure = error
        except TimeoutError as error:
            failure = AssertionError(f"{name} did not finish within {timeout:g} s")
            failure.__cause__ = error
        else:
            if value is None or value:
                return value
            failure = AssertionError(f"{name} still returned {value!r} after {timeout:g} s")
        if loop.time() >= deadline:
            raise failure
        await asyncio.sleep(interval)


async def stream_messages(js: JetStreamContext, stream_name: str) -> list[Msg]:
    """Every message now in `stream_name`, oldest first (an ephemeral consumer reads them)."""
    subscription = await _inspect(js, stream_name, subject=None)
    try:
        pending = (await subscription.consumer_info()).num_pending or 0
        messages: list[Msg] = []
        while len(messages) < pending:
            fetched = await _fetch(subscription, pending - len(messages))
            if not fetched:
                break
            messages.extend(fetched)
        return messages
    finally:
        await subscription.unsubscribe()


async def collect_events(
    js: JetStreamContext,
    namespace: Namespace,
    context: str,
    *,
    count: int,
    timeout: float = 10.0,  # noqa: ASYNC109 (a deadline for the whole collection)
    subject_filter: str | None = None,
) -> list[Envelope]:
    """The first `count` events of `context`'s stream in `namespace`, from its first message.

    Waits up to `timeout` for them (and for the stream, if its producer has not declared it
    yet); then raises AssertionError saying how many it saw. `subject_filter` narrows the read
    to matching subjects, e.g. `namespace.filter("attendance", "ClockedIn")`.
    """
    stream_name = namespace.stream_name(context)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    envelopes: list[Envelope] = []
    subscription = None
    try:
        while len(envelopes) < count and loop.time() < deadline:
            if subscription is None:
                subscription = await _inspect_when_declared(js, stream_name, subject_filter)
                if subscription is None:
                    await asyncio.sleep(FETCH_WAIT_S / 10)
                    continue
            wait = min(FETCH_WAIT_S, max(deadline - loop.time(), 0.01))
            for message in await _fetch(subscription, count - len(envelopes), wait=wait):
                envelopes.append(Envelope.model_validate_json(message.data))
    finally:
        if subscription is not None:
            await subscription.unsubscribe()
    if len(envelopes) < count:
        where = f"{stream_name}" + (f" ({subject_filter})" if subject_filter else "")
        raise AssertionError(
            f"expected {count} events on {where} within {timeout:g} s, saw {len(envelopes)}: "
            f"{[e.event_type for e in envelopes]}"
        )
    return envelopes


async def delete_namespace_streams(nats_url: str, namespace: Namespace) -> list[str]:
    """Delete every stream of `namespace` (its name starts with the upper-cased prefix + `_`)."""
    if not namespace.prefix:
        raise ValueError("refusing to delete the streams of the production (empty) namespace")
    start = f"{namespace.prefix.upper()}_"
    client = await nats.connect(nats_url, name="daybook-test-cleanup")
    try:
        js = client.jetstream()
        names = [name for name in await _stream_names(js) if name.startswith(start)]
        for name in names:
            with contextlib.suppress(NotFoundError):  # already gone: that is the goal
                await js.delete_stream(name)
        return names
    finally:
        await client.close()


async def _stream_names(js: JetStreamContext) -> list[str]:
    names: list[str] = []
    while True:
        page = await js.streams_info(offset=len(names))
        if not page:
            return names
        names.extend(info.config.name for info in page if info.config.name)


async def _inspect_when_declared(
    js: JetStreamContext, stream_name: str, subject: str | None
) -> JetStreamContext.PullSubscription | None:
    try:
        return await _inspect(js, stream_name, subject)
    except NotFoundError:
        return None


async def _inspect(
    js: JetStreamContext, stream_name: str, subject: str | None
) -> JetStreamContext.PullSubscription:
    """An ephemeral pull consumer from the stream's first message, acknowledging nothing."""
    config = ConsumerConfig(
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.NONE,
        inactive_threshold=INSPECTION_INACTIVE_S,
        filter_subject=subject,
    )
    consumer = await js.add_consumer(stream_name, config=config)
    return await js.pull_subscribe_bind(consumer=consumer.name, stream=stream_name)


async def _fetch(
    subscription: JetStreamContext.PullSubscription, batch: int, *, wait: float = FETCH_WAIT_S
) -> list[Msg]:
    try:
        return await subscription.fetch(batch, timeout=wait)
    except nats.errors.TimeoutError:
        return []
