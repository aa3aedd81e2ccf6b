"""The `daybook` command as a user runs it (a separate process): tokens that the services accept,
an idempotent roster import over the HR boundary, and failures told as sentences."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nats.js.errors import NotFoundError

from daybook_shared.contracts import Namespace
from daybook_shared.infra.embedded import free_port
from daybook_shared.runtime.auth import AuthenticationError, JwtAuthenticator, Role
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET

ROSTER_CSV = """\
employee_id,display_name,team_id,supervisor_id,role,timezone,effective_on
S1,Hui Sun,T1,,supervisor,Asia/Shanghai,2026-01-05
E1,Lin Wang,T1,S1,salesperson,Asia/Shanghai,2026-01-05
E2,Tao Chen,T1,S1,salesperson,Asia/Shanghai,2026-02-02
"""
MOVES_JSON = """\
{"events": [
  {"event": "transferred", "employee_id": "E2", "team_id": "T2", "effective_on": "2026-06-01"},
  {"event": "left", "employee_id": "E1", "effective_on": "2026-08-31", "reason": "Moved away"}
]}
"""


def daybook(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DAYBOOK_") and key != "NATS_URL"
    }
    return subprocess.run(
        [sys.executable, "-m", "daybook_cli", *args],
        env={**environment, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_token_prints_a_token_the_services_accept():
    made = daybook("token", "--role", "supervisor", "--employee", "S1")
    assert made.returncode == 0, made.stderr
    principal = JwtAuthenticator(DEVELOPMENT_JWT_SECRET).decode(made.stdout.strip())
    assert (principal.role, principal.employee_id, principal.subject) == (
        Role.SUPERVISOR,
        "S1",
        "S1",
    )


def test_token_is_signed_with_the_deployments_key_when_given():
    secret = "a-deployment-key-of-at-least-thirty-two-bytes"
    made = daybook("token", "--role", "hr", env={"DAYBOOK_JWT_SECRET": secret})
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert JwtAuthenticator(secret).decode(token).role == Role.HR
    with pytest.raises(AuthenticationError, match="signature"):
        JwtAuthenticator(DEVELOPMENT_JWT_SECRET).decode(token)


async def _stored(js, namespace: Namespace) -> int:
    try:
        return (await js.stream_info(namespace.stream_name("hr"))).state.messages
    except NotFoundError:
        return 0


async def test_import_roster_twice_publishes_once(infra, namespace, js, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV)
    moves = tmp_path / "moves.json"
    moves.write_text(MOVES_JSON)
    env = {"NATS_URL": infra.nats_url, "DAYBOOK_NAMESPACE": namespace.prefix}

    first = await asyncio.to_thread(daybook, "import-roster", str(roster), env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Published 3 new HR fact(s)" in first.stdout
    again = await asyncio.to_thread(daybook, "import-roster", str(roster), env=env, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "Published 0 new HR fact(s)" in again.stdout
    assert "3 were already on the HR stream" in again.stdout
    assert await _stored(js, namespace) == 3

    changes = await asyncio.to_thread(daybook, "import-roster", str(moves), env=env, cwd=tmp_path)
    assert changes.returncode == 0, changes.stderr
    assert "Published 2 new HR fact(s)" in changes.stdout
    assert await _stored(js, namespace) == 5


async def test_a_bad_roster_reads_as_sentences_and_publishes_nothing(
    infra, namespace, js, tmp_path
):
    roster = tmp_path / "roster.csv"
    roster.write_text(
        ROSTER_CSV
        + "E3,Mei Zhou,T1,S1,salesperson,Mars/Olympus,2026-03-02\n"
        + "E4,Gang Xu,T1,S1,salesman,Asia/Shanghai,2026-03-02\n"
    )
    env = {"NATS_URL": infra.nats_url, "DAYBOOK_NAMESPACE": namespace.prefix}
    refused = await asyncio.to_thread(daybook, "import-roster", str(roster), env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    message = " ".join(refused.stderr.split())
    assert "has 2 bad row(s), so nothing was published" in message
    assert "line 5: timezone: unknown timezone 'Mars/Olympus'" in message
    assert "line 6: role:" in message
    assert await _stored(js, namespace) == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["token", "--role", "employee"], "An employee token acts for someone on the roster"),
        (["token", "--role", "boss"], "--role must be one of employee, supervisor, hr"),
        (["import-roster", "missing.csv"], "There is no file missing.csv."),
        (["frobnicate"], "No such command 'frobnicate'. See daybook --help."),
        (["dlq", "replay", "billing", "1"], "The service must be one of attendance"),
    ],
)
def test_bad_input_reads_as_a_sentence(args, says, tmp_path):
    failed = daybook(*args, cwd=tmp_path)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert says in " ".join(failed.stderr.split())


def test_a_service_that_does_not_answer_is_named(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    failed = daybook("scorecard", "E1", "--period", "2026-09", env={"DAYBOOK_APPRAISAL_URL": url})
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert f"Could not reach the appraisal service at {url}" in " ".join(failed.stderr.split())
