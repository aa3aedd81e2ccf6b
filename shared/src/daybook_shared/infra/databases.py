"""Create and drop whole databases on a server given by an admin URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import asyncpg

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def database_url(admin_url: str, name: str) -> str:
    """`admin_url` with its database replaced by `name` (user, host, options kept)."""
    parts = urlsplit(admin_url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {admin_url!r}")
    return urlunsplit(parts._replace(path=f"/{_checked(name)}"))


async def create_database(admin_url: str, name: str) -> str:
    """Create an empty database `name` and return its URL.

    Cloned from `template0`, which nobody can have changed, with the server's default
    strategy: on PostgreSQL 15 and later that is WAL_LOG, measured here as fast as FILE_COPY on a
    server without fsync and faster on one with it (FILE_COPY checkpoints twice).
    """
    statement = f'CREATE DATABASE "{_checked(name)}" TEMPLATE template0'
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
    return database_url(admin_url, name)


async def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name` if it exists, disconnecting whoever is still connected."""
    statement = f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)'
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _checked(name: str) -> str:
    if not _DATABASE_NAME.match(name):
        raise ValueError(
            f"database name {name!r} must be lower-case letters, digits and '_' (at most 63)"
        )
    return name
