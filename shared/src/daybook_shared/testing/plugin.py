"""The pytest plugin every Daybook test runs with (`-p daybook_shared.testing.plugin`).

Fixtures:
- `infra` (session): NATS and PostgreSQL found or started once per run (`daybook_shared.infra`);
  `DAYBOOK_INFRA=env|docker|embedded` narrows the search, default `auto`.
- `database_url`: a fresh, empty database on that server, dropped after the test.
- `namespace`: a random subject and stream prefix; its streams are deleted after the test.
- `nats_client` and `js`: a connected NATS client and its JetStream context.
A missing service is found or started, never skipped: the run fails loudly instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import cast

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from daybook_shared.contracts import Namespace
from daybook_shared.infra import MODES, Infra, Mode, create_database, drop_database, find_or_start
from daybook_shared.testing.helpers import delete_namespace_streams

MODE_VARIABLE = "DAYBOOK_INFRA"


def chosen_mode() -> Mode:
    """The finder's mode for this run, from `DAYBOOK_INFRA` (default `auto`)."""
    mode = os.environ.get(MODE_VARIABLE, "auto")
    if mode not in MODES:
        raise pytest.UsageError(f"{MODE_VARIABLE} must be one of {', '.join(MODES)}, not {mode!r}")
    return cast(Mode, mode)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    """The run's NATS and PostgreSQL, shared by every test."""
    with find_or_start(chosen_mode()) as found:
        yield found


@pytest.fixture
async def database_url(infra: Infra) -> AsyncIterator[str]:
    """A new empty database (`t_<hex>`) for this test alone, dropped with force afterwards."""
    name = f"t_{secrets.token_hex(6)}"
    url = await create_database(infra.postgres_url, name)
    yield url
    await drop_database(infra.postgres_url, name)


@pytest.fixture
async def namespace(infra: Infra) -> AsyncIterator[Namespace]:
    """A prefix (`t<10 hex>`) no other test shares; its streams are deleted afterwards."""
    chosen = Namespace(prefix=f"t{secrets.token_hex(5)}")
    yield chosen
    await delete_namespace_streams(infra.nats_url, chosen)


@pytest.fixture
async def nats_client(infra: Infra) -> AsyncIterator[NatsClient]:
    """A NATS client connected to the run's server, closed afterwards."""
    client = await nats.connect(infra.nats_url, name="daybook-test")
    yield client
    await client.close()


@pytest.fixture
def js(nats_client: NatsClient) -> JetStreamContext:
    """JetStream over `nats_client`."""
    return nats_client.jetstream()
