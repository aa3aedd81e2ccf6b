"""The infrastructure finder: environment URLs, Docker detection, embedded servers."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.js.api import StreamConfig

from daybook_shared.infra import (
    Infra,
    InfraError,
    Mode,
    containers,
    create_database,
    database_url,
    drop_database,
    embedded,
    find_or_start,
)
from daybook_shared.infra.probes import nats_answers, postgres_answers
from daybook_shared.testing.helpers import eventually


@pytest.fixture
def no_docker(monkeypatch: pytest.MonkeyPatch) -> None:
    """Auto mode must not reach for a Docker engine that a developer's machine may have."""
    monkeypatch.setattr(containers, "docker_unavailable_reason", lambda: "no Docker (test)")


@pytest.fixture
def traversable_directory() -> Iterator[Path]:
    """Unlike pytest's own temporary folders, one the unprivileged PostgreSQL user can enter."""
    folder = Path(tempfile.mkdtemp(prefix="daybook-test-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


async def _query_and_round_trip(found: Infra) -> None:
    connection = await asyncpg.connect(found.postgres_url)
    try:
        await connection.execute("CREATE TABLE probe (n int)")
        await connection.execute("INSERT INTO probe VALUES (41), (1)")
        assert await connection.fetchval("SELECT sum(n) FROM probe") == 42
    finally:
        await connection.close()

    client = await nats.connect(found.nats_url)
    try:
        js = client.jetstream()
        await js.add_stream(StreamConfig(name="PROBE", subjects=["probe.>"]))
        ack = await js.publish("probe.one", b"hello")
        assert ack.seq == 1
        subscription = await js.pull_subscribe("probe.>", stream="PROBE")
        [message] = await subscription.fetch(1, timeout=5)
        assert message.data == b"hello"
        await message.ack()
    finally:
        await client.close()


def _start_and_stop(mode: Mode, environ: dict[str, str]) -> None:
    with find_or_start(mode, environ=environ):
        pass


def _owner_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return int(uid_line.split()[1])


async def test_embedded_mode_starts_both_servers_even_when_urls_are_set(
    infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATS_URL", infra.nats_url)
    monkeypatch.setenv("DATABASE_URL", infra.postgres_url)

    with find_or_start("embedded") as found:
        assert (found.how.nats, found.how.postgres) == ("embedded", "embedded")
        assert found.nats_url.startswith("nats://127.0.0.1:")
        assert found.postgres_url.startswith("postgresql://postgres@127.0.0.1:")
        assert {found.nats_url, found.postgres_url}.isdisjoint({infra.nats_url, infra.postgres_url})
        await _query_and_round_trip(found)
        connection = await asyncpg.connect(found.postgres_url)
        backend_owner = _owner_of(await connection.fetchval("SELECT pg_backend_pid()"))
        await connection.close()
        if os.geteuid() == 0:
            assert backend_owner != 0, "PostgreSQL must not run as root"

    assert nats_answers(found.nats_url, timeout=0.2) is not None
    assert postgres_answers(found.postgres_url, timeout=0.2) is not None


async def test_embedded_postgres_runs_from_the_pgserver_wheel(
    traversable_directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback for a machine without an installed PostgreSQL server."""
    wheel = next(
        c
        for c in embedded.postgres_bindir_candidates()
        if c.parts[-3:] == ("pgserver", "pginstall", "bin")
    )
    monkeypatch.setattr(embedded, "postgres_bindir", lambda: wheel)

    with embedded.embedded_postgres(traversable_directory / "postgres") as url:
        connection = await asyncpg.connect(url)
        version = await connection.fetchval("SHOW server_version")
        await connection.close()

    assert version.startswith("16")
    assert postgres_answers(url, timeout=0.2) is not None


async def test_env_mode_uses_the_given_urls(infra: Infra) -> None:
    environ = {"NATS_URL": infra.nats_url, "DATABASE_URL": infra.postgres_url}

    with find_or_start("env", environ=environ) as found:
        assert found.nats_url == infra.nats_url
        assert found.postgres_url == infra.postgres_url
        assert (found.how.nats, found.how.postgres) == ("env", "env")


async def test_auto_mode_decides_per_server(infra: Infra, no_docker: None) -> None:
    with find_or_start("auto", environ={"DATABASE_URL": infra.postgres_url}) as found:
        assert found.postgres_url == infra.postgres_url
        assert (found.how.nats, found.how.postgres) == ("embedded", "env")
        assert nats_answers(found.nats_url) is None

    assert nats_answers(found.nats_url, timeout=0.2) is not None


def test_env_mode_without_urls_says_what_was_tried() -> None:
    with pytest.raises(
        InfraError, match=r"NATS with JetStream \(mode 'env'\): NATS_URL is not set"
    ):
        _start_and_stop("env", environ={})


def test_a_set_url_that_does_not_answer_fails_loudly_instead_of_starting_another(
    no_docker: None,
) -> None:
    silent = f"nats://127.0.0.1:{embedded.free_port()}"

    with pytest.raises(InfraError, match=r"NATS_URL is set, but NATS at \S+ did not answer"):
        _start_and_stop("auto", environ={"NATS_URL": silent})


def test_docker_mode_without_an_engine_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(containers, "DOCKER_SOCKET", tmp_path / "docker.sock")

    with pytest.raises(InfraError, match=r"no Docker engine \(DOCKER_HOST is not set"):
        _start_and_stop("docker", environ={})


def test_a_docker_host_that_does_not_answer_is_no_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'absent.sock'}")

    reason = containers.docker_unavailable_reason()

    assert reason is not None
    assert reason.startswith("no Docker engine answered a ping")


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be one of auto, env, docker, embedded"):
        _start_and_stop("kubernetes", {})  # type: ignore[arg-type]


def test_a_missing_nats_binary_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embedded.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(
        InfraError, match=r"no nats-server binary \(looked at \S+/nats-server and on PATH"
    ):
        embedded.nats_server_binary()


def test_root_runs_postgres_as_an_unprivileged_user() -> None:
    account = embedded.unprivileged_account()

    if os.geteuid() == 0:
        assert account is not None
        assert account.name in ("postgres", "nobody")
        assert account.uid != 0
    else:
        assert account is None


async def test_created_database_is_empty_and_dropped_even_while_in_use(infra: Infra) -> None:
    url = await create_database(infra.postgres_url, "t_infra_created")
    assert url == database_url(infra.postgres_url, "t_infra_created")
    in_use = await asyncpg.connect(url)
    assert await in_use.fetchval("SELECT current_database()") == "t_infra_created"
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    assert await in_use.fetchval(tables) == 0

    await drop_database(infra.postgres_url, "t_infra_created")

    admin = await asyncpg.connect(infra.postgres_url)
    exists = "SELECT count(*) FROM pg_database WHERE datname = 't_infra_created'"
    assert await admin.fetchval(exists) == 0
    await admin.close()
    await eventually(in_use.is_closed, timeout=5)


def test_database_url_keeps_user_host_and_options() -> None:
    admin = "postgresql://postgres:secret@db.internal:6543/postgres?sslmode=require"

    assert database_url(admin, "t_abc") == (
        "postgresql://postgres:secret@db.internal:6543/t_abc?sslmode=require"
    )


@pytest.mark.parametrize("name", ['t"; DROP DATABASE postgres; --', "T_upper", "", "1st", "a" * 64])
async def test_unsafe_database_names_are_refused(infra: Infra, name: str) -> None:
    with pytest.raises(ValueError, match="must be lower-case letters, digits and '_'"):
        await create_database(infra.postgres_url, name)
