"""deploy/postgres/init-databases.sh against the run's PostgreSQL: a role and a database per
service, each database closed to every other role."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg
import pytest

from daybook_shared.infra import Infra
from daybook_shared.infra.embedded import postgres_bindir_candidates


def _psql_folder() -> str:
    found = shutil.which("psql")
    if found:
        return str(Path(found).parent)
    for folder in postgres_bindir_candidates():
        if (folder / "psql").is_file():
            return str(folder)
    pytest.fail("no psql: install the PostgreSQL client (the init script runs psql)")


def _environment(admin_url: str, services: list[str], passwords: dict[str, str]) -> dict[str, str]:
    """What the postgres image gives its init scripts, pointed at the test server."""
    url = urlsplit(admin_url)
    environment = {
        "PATH": f"{_psql_folder()}:{os.environ.get('PATH', '')}",
        "PGHOST": url.hostname or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "POSTGRES_USER": unquote(url.username or "postgres"),
        "POSTGRES_DB": url.path.lstrip("/") or "postgres",
        "DAYBOOK_DATABASES": " ".join(services),
    }
    if url.password:
        environment["PGPASSWORD"] = unquote(url.password)
    for service, password in passwords.items():
        environment[f"{service.upper()}_DB_PASSWORD"] = password
    return environment


@pytest.fixture
async def admin(infra: Infra) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(infra.postgres_url)
    yield connection
    await connection.close()


@pytest.fixture
async def services(admin: asyncpg.Connection) -> AsyncIterator[list[str]]:
    """Two service names no other test uses; their databases and roles are dropped afterwards."""
    names = [f"dbinit_{secrets.token_hex(4)}" for _ in range(2)]
    yield names
    for name in names:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def _run(repository: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [repository / "deploy" / "postgres" / "init-databases.sh"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_each_service_gets_a_role_and_a_database_only_it_may_enter(
    infra, admin, services, repository
):
    passwords = {service: secrets.token_hex(16) for service in services}
    outcome = _run(repository, _environment(infra.postgres_url, services, passwords))
    assert outcome.returncode == 0, outcome.stderr

    first, second = services
    for service in services:
        role = await admin.fetchrow(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolpassword FROM pg_authid "
            "WHERE rolname = $1",
            service,
        )
        assert role["rolcanlogin"] and not role["rolsuper"] and not role["rolcreatedb"]
        assert role["rolpassword"].startswith("SCRAM-SHA-256$"), "stored hashed, never plain"
        owner = await admin.fetchval(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", service
        )
        assert owner == service
        may_create_schema = "SELECT has_database_privilege($1, $2, 'CREATE')"
        assert await admin.fetchval(may_create_schema, service, service)
    may_connect = "SELECT has_database_privilege($1, $2, 'CONNECT')"
    assert await admin.fetchval(may_connect, first, first)
    assert not await admin.fetchval(may_connect, first, second)
    assert not await admin.fetchval(may_connect, second, first)


async def test_a_missing_password_stops_the_initialisation(infra, admin, services, repository):
    first, second = services
    passwords = {first: secrets.token_hex(16)}
    outcome = _run(repository, _environment(infra.postgres_url, services, passwords))
    assert outcome.returncode == 1
    assert f"{second.upper()}_DB_PASSWORD is not set" in outcome.stderr
    role = "SELECT count(*) FROM pg_roles WHERE rolname = $1"
    assert await admin.fetchval(role, second) == 0
    database = "SELECT count(*) FROM pg_database WHERE datname = $1"
    assert await admin.fetchval(database, second) == 0
