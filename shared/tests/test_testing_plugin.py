"""The pytest plugin, seen from outside: an inner pytest run uses its fixtures, then we look.

Teardown (databases dropped, streams deleted) can only be checked after the tests that used
the fixtures have finished, hence a run inside the run.
"""

import json
import re

import asyncpg
import nats
import pytest

from daybook_shared.infra import Infra
from daybook_shared.testing import plugin

INNER_CONFIG = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
"""

TWO_TESTS_RECORDING_THEIR_FIXTURES = """
import json
import os
from pathlib import Path

import asyncpg


async def _use_and_record(infra, database_url, namespace, nats_client, js):
    connection = await asyncpg.connect(database_url)
    tables = await connection.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    )
    await connection.execute("CREATE TABLE left_behind (n int)")
    await connection.close()
    await js.add_stream(namespace.stream_config("hr"))
    await js.add_stream(namespace.stream_config("crm"))
    record = {
        "database_url": database_url,
        "prefix": namespace.prefix,
        "nats_url": infra.nats_url,
        "how": str(infra.how),
        "connected": nats_client.is_connected,
        "tables_at_start": tables,
    }
    with Path(os.environ["RECORD"]).open("a") as out:
        out.write(json.dumps(record) + "\\n")


async def test_first(infra, database_url, namespace, nats_client, js):
    await _use_and_record(infra, database_url, namespace, nats_client, js)


async def test_second(infra, database_url, namespace, nats_client, js):
    await _use_and_record(infra, database_url, namespace, nats_client, js)
"""


@pytest.fixture
def inner(
    pytester: pytest.Pytester, infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    """An inner run that finds this run's servers through the environment, as CI would."""
    pytester.makeini(INNER_CONFIG)
    monkeypatch.setenv("NATS_URL", infra.nats_url)
    monkeypatch.setenv("DATABASE_URL", infra.postgres_url)
    monkeypatch.delenv("DAYBOOK_INFRA", raising=False)
    return pytester


def _run(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "daybook_shared.testing.plugin", timeout=120)


async def test_each_test_gets_its_own_database_and_namespace_and_both_are_cleaned(
    inner: pytest.Pytester, infra: Infra, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_path = inner.path / "record.jsonl"
    monkeypatch.setenv("RECORD", str(record_path))
    inner.makepyfile(test_inner=TWO_TESTS_RECORDING_THEIR_FIXTURES)

    _run(inner).assert_outcomes(passed=2)

    first, second = [json.loads(line) for line in record_path.read_text().splitlines()]
    names = [r["database_url"].rsplit("/", 1)[1] for r in (first, second)]
    prefixes = [r["prefix"] for r in (first, second)]
    assert all(re.fullmatch(r"t_[0-9a-f]{12}", name) for name in names)
    assert all(re.fullmatch(r"t[0-9a-f]{10}", prefix) for prefix in prefixes)
    assert names[0] != names[1]
    assert prefixes[0] != prefixes[1]
    assert first["tables_at_start"] == second["tables_at_start"] == 0
    assert first["nats_url"] == second["nats_url"] == infra.nats_url
    assert first["how"] == "nats=env postgres=env"
    assert first["connected"] and second["connected"]

    admin = await asyncpg.connect(infra.postgres_url)
    try:
        left = await admin.fetch("SELECT datname FROM pg_database WHERE datname = ANY($1)", names)
    finally:
        await admin.close()
    assert left == []

    client = await nats.connect(infra.nats_url)
    try:
        streams = [info.config.name or "" for info in await client.jetstream().streams_info()]
    finally:
        await client.close()
    starts = tuple(f"{prefix.upper()}_" for prefix in prefixes)
    assert [name for name in streams if name.startswith(starts)] == []


async def test_a_missing_service_fails_the_test_instead_of_skipping_it(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAYBOOK_INFRA", "env")
    monkeypatch.delenv("NATS_URL")
    inner.makepyfile(test_inner="def test_needs_nats(infra):\n    pass\n")

    result = _run(inner)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Could not find or start NATS with JetStream*NATS_URL is not set*"]
    )


def test_an_unknown_infra_mode_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAYBOOK_INFRA", "cloud")

    with pytest.raises(pytest.UsageError, match="DAYBOOK_INFRA must be one of auto, env, docker"):
        plugin.chosen_mode()
