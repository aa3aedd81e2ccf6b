"""Versioned SQL migrations, applied at start-up in the service's own schema.

Each package holds `migrations/NNNN_name.sql`. Applied versions are recorded per package in
`schema_migrations`; an advisory lock keeps two replicas starting at once from racing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    package: str
    version: int
    name: str
    sql: str


def discover(package: str) -> list[Migration]:
    """The migrations shipped in `<package>.migrations`, in version order."""
    folder = resources.files(f"{package}.migrations")
    found = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(package, int(match[1]), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"{package}: two migrations share a version: {versions}")
    return found


async def migrate(conn: asyncpg.Connection, schema: str, packages: list[str]) -> list[str]:
    """Create `schema` if needed and apply every pending migration; returns what was applied."""
    applied: list[str] = []
    lock_key = f"daybook-migrate:{schema}"
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", lock_key)
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET search_path TO "{schema}"')
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   package text NOT NULL, version integer NOT NULL, name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (package, version))"""
        )
        for package in packages:
            done = {
                r["version"]
                for r in await conn.fetch(
                    "SELECT version FROM schema_migrations WHERE package = $1", package
                )
            }
            for migration in discover(package):
                if migration.version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (package, version, name) VALUES ($1, $2, $3)",
                        package,
                        migration.version,
                        migration.name,
                    )
                applied.append(f"{package}:{migration.name}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)
    return applied
