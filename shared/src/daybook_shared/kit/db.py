"""The asyncpg pool every service uses: its own schema on the search path, JSON codecs set."""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


async def create_pool(
    dsn: str, schema: str, *, min_size: int = 2, max_size: int = 10, **kwargs: Any
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings={"search_path": schema, "application_name": f"daybook-{schema}"},
        **kwargs,
    )
    assert pool is not None
    return pool


async def connect(dsn: str, schema: str) -> asyncpg.Connection:
    """A single connection configured like the pool's (for LISTEN and advisory locks)."""
    conn = await asyncpg.connect(
        dsn, server_settings={"search_path": schema, "application_name": f"daybook-{schema}"}
    )
    await _init_connection(conn)
    return conn
