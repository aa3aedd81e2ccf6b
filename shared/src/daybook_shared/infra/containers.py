"""Servers in containers, through testcontainers, where a Docker engine answers."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from daybook_shared.infra.probes import (
    InfraError,
    check_nats,
    check_postgres,
    run_blocking,
    wait_until_ready,
)

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

DOCKER_SOCKET = Path("/var/run/docker.sock")
PING_TIMEOUT_S = 1
NATS_IMAGE = "nats:2.10-alpine"
POSTGRES_IMAGE = "postgres:16-alpine"
READY_TIMEOUT_S = 60.0


def docker_unavailable_reason() -> str | None:
    """None when a Docker engine answers a ping within a second, else why there is none.

    Cheap first: with no DOCKER_HOST and no /var/run/docker.sock there is nothing to ask.
    """
    if not os.environ.get("DOCKER_HOST") and not DOCKER_SOCKET.exists():
        return f"no Docker engine (DOCKER_HOST is not set and {DOCKER_SOCKET} does not exist)"
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=PING_TIMEOUT_S)
        try:
            client.ping()
        finally:
            client.close()
    except (DockerException, OSError) as e:
        return f"no Docker engine answered a ping within {PING_TIMEOUT_S} s ({e})"
    return None


@contextlib.contextmanager
def nats_container() -> Iterator[str]:
    """A NATS server with JetStream in a container; yields its URL."""
    from testcontainers.community.nats import NatsContainer

    container = NatsContainer(NATS_IMAGE, jetstream=True)
    with _started(container, "NATS"):
        url = container.nats_uri()
        _wait(lambda: check_nats(url), what=f"NATS container on {url}")
        yield url


@contextlib.contextmanager
def postgres_container() -> Iterator[str]:
    """A PostgreSQL server in a container; yields an admin URL (user `postgres`)."""
    from testcontainers.community.postgres import PostgresContainer

    container = PostgresContainer(
        POSTGRES_IMAGE,
        username="postgres",
        password="postgres",
        dbname="postgres",
        driver=None,
    )
    # Throw-away data: durability settings off, room for every service's pool.
    container.with_command("postgres -c fsync=off -c full_page_writes=off -c max_connections=200")
    with _started(container, "PostgreSQL"):
        url = container.get_connection_url()
        _wait(lambda: check_postgres(url), what=f"PostgreSQL container on {url}")
        yield url


@contextlib.contextmanager
def _started(container: DockerContainer, what: str) -> Iterator[None]:
    from docker.errors import DockerException

    try:
        container.start()
    except (DockerException, OSError, TimeoutError) as e:
        raise InfraError(f"the {what} container did not start ({e})") from e
    try:
        yield
    finally:
        container.stop()


def _wait(check: Callable[[], Awaitable[None]], *, what: str) -> None:
    run_blocking(lambda: wait_until_ready(check, what=what, within_s=READY_TIMEOUT_S))
