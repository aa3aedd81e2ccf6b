"""Fixtures for the deployment tests: the files under deploy/ and what the services really consume.

Tests that take a `service` argument run once per service; `nats_user` once per NATS user.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import pytest
import yaml
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from daybook_shared.contracts import Namespace
from daybook_shared.infra.embedded import free_port, nats_server_binary
from daybook_shared.testing.helpers import eventually

REPOSITORY = Path(__file__).resolve().parents[2]
K8S = REPOSITORY / "deploy" / "k8s"
SERVICES = ("attendance", "reporting", "crm", "appraisal")
NATS_USERS = ("hr-import", *SERVICES)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "service" in metafunc.fixturenames:
        metafunc.parametrize("service", SERVICES)
    if "nats_user" in metafunc.fixturenames:
        metafunc.parametrize("nats_user", NATS_USERS)


def load_yaml_documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [document for document in yaml.safe_load_all(handle) if document is not None]


@pytest.fixture(scope="session")
def repository() -> Path:
    return REPOSITORY


@pytest.fixture(scope="session")
def service_specs() -> dict[str, Any]:
    """Each service's `ServiceSpec`, from its own bootstrap (`build_service` connects nothing)."""
    specs = {}
    for service in SERVICES:
        bootstrap = importlib.import_module(f"daybook_{service}.bootstrap")
        specs[service] = bootstrap.build_app().state.kit.spec
        assert specs[service].context == service
    return specs


@pytest.fixture(scope="session")
def consumed_contexts(service_specs: dict[str, Any]) -> dict[str, set[str]]:
    """Per NATS user, the contexts it reads, as the services' own specs declare them."""
    consumed: dict[str, set[str]] = {"hr-import": set()}
    for service, spec in service_specs.items():
        contexts = {c for p in spec.projections for c in p.contexts} | set(spec.consumes)
        consumed[service] = contexts - {service}
    return consumed


@pytest.fixture(scope="session")
def owned_context() -> dict[str, str]:
    """Per NATS user, the one context whose subjects it publishes and whose stream it owns."""
    return {"hr-import": "hr", **{service: service for service in SERVICES}}


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    (document,) = load_yaml_documents(REPOSITORY / "docker-compose.yml")
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="session")
def k8s_objects() -> list[dict[str, Any]]:
    """Every Kubernetes object under deploy/k8s, each with the file it came from."""
    objects = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name in ("nats-values.yaml", "kustomization.yaml"):
            continue
        for document in load_yaml_documents(path):
            objects.append({**document, "__file__": path.name})
    return objects


@pytest.fixture(scope="session")
def kustomization() -> dict[str, Any]:
    (document,) = load_yaml_documents(K8S / "kustomization.yaml")
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="session")
def nats_values() -> dict[str, Any]:
    (document,) = load_yaml_documents(K8S / "nats-values.yaml")
    assert isinstance(document, dict)
    return document


# --- A NATS server with the shipped users and permissions ---------------------------------------

NATS_ANSWER_S = 5.0
NATS_START_S = 15.0
PRODUCTION = Namespace()  # the shipped permissions are for the empty (production) prefix


def password_variable(user: str) -> str:
    """`ATTENDANCE_NATS_PASSWORD` for `attendance`, `HR_IMPORT_NATS_PASSWORD` for `hr-import`."""
    return f"{user.upper().replace('-', '_')}_NATS_PASSWORD"


def _render_helm_config(values: dict[str, Any], port: int, store: Path) -> str:
    """The chart's config: JSON, with `"<< $VAR >>"` unquoted into `$VAR` (nats.formatConfig)."""
    config = {"port": port, "jetstream": {"store_dir": str(store)}, **values["config"]["merge"]}
    rendered = json.dumps(config, indent=2)
    return re.sub(r'"<<\s+(.*)\s+>>"', r"\1", rendered)


def _render_compose_config(accounts: Path, port: int, store: Path, folder: Path) -> str:
    """The shipped accounts under a test server block (store and port are the test's)."""
    return (
        f"port: {port}\n"
        f'jetstream {{ store_dir: "{store}" }}\n'
        f'include "{os.path.relpath(accounts, folder)}"\n'
    )


@dataclass
class SecuredNats:
    url: str
    passwords: dict[str, str]
    log: Path

    def violations(self) -> list[str]:
        """The permission violations the server logged."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if "violation" in line.lower()]


@dataclass
class Session:
    """A connection as one user, with the server's asynchronous errors collected in order."""

    user: str
    nc: NatsClient
    errors: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    @property
    def js(self) -> JetStreamContext:
        return self.nc.jetstream(timeout=NATS_ANSWER_S)

    async def assert_allowed(self, subject: str) -> None:
        """Publish; the flush's PONG comes after any error the server sent about the publish."""
        await self.nc.publish(subject, b"{}")
        await self.nc.flush(timeout=NATS_ANSWER_S)
        assert self.errors.empty(), f"{self.user} on {subject}: {self.errors.get_nowait()}"

    async def assert_denied(self, subject: str) -> None:
        await self.nc.publish(subject, b"{}")
        error = await asyncio.wait_for(self.errors.get(), NATS_ANSWER_S)
        assert f'permissions violation for publish to "{subject.lower()}"' in error, (
            f"{self.user} published on {subject}; the server said {error!r}"
        )

    async def assert_cannot_subscribe(self, subject: str) -> None:
        await self.nc.subscribe(subject)
        error = await asyncio.wait_for(self.errors.get(), NATS_ANSWER_S)
        assert f'permissions violation for subscription to "{subject.lower()}"' in error, error


@pytest.fixture
def nats_variant() -> str:
    """Which rendering of the users and permissions: `compose` (accounts.conf) or `helm`."""
    return "compose"


@pytest.fixture
async def nats_server(nats_variant: str, tmp_path: Path) -> AsyncIterator[SecuredNats]:
    """`nats-server` (the binary beside this Python) on a free port, its store in tmp_path."""
    passwords = {user: secrets.token_hex(16) for user in NATS_USERS}
    port = free_port()
    store = tmp_path / "jetstream"
    if nats_variant == "compose":
        accounts = REPOSITORY / "deploy" / "nats" / "accounts.conf"
        text = _render_compose_config(accounts, port, store, tmp_path)
    else:
        text = _render_helm_config(
            yaml.safe_load((K8S / "nats-values.yaml").read_text()), port, store
        )
    config = tmp_path / "nats.conf"
    config.write_text(text)
    environment = {password_variable(user): password for user, password in passwords.items()}
    log = tmp_path / "nats-server.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            nats_server_binary(),
            "-c",
            config,
            "-a",
            "127.0.0.1",
            env={"PATH": os.environ.get("PATH", ""), **environment},
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    async def listening() -> None:
        if process.returncode is not None:
            pytest.fail(f"nats-server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError as exc:
            raise AssertionError(f"nats-server is not listening on {port}: {exc}") from exc
        writer.close()
        await writer.wait_closed()

    try:
        # Poll the port: nats-py's own retry would wait seconds between attempts.
        await eventually(listening, timeout=NATS_START_S, interval=0.01)
        yield SecuredNats(f"nats://127.0.0.1:{port}", passwords, log)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


@pytest.fixture
async def connect(nats_server: SecuredNats) -> AsyncIterator[Callable[[str], Awaitable[Session]]]:
    """Connect as a user; every connection is closed after the test."""
    opened: list[Session] = []

    async def as_user(user: str) -> Session:
        errors: asyncio.Queue[str] = asyncio.Queue()

        async def collect(exc: Exception) -> None:
            errors.put_nowait(str(exc))

        nc = await nats.connect(
            nats_server.url,
            user=user,
            password=nats_server.passwords[user],
            name=f"deploy-test-{user}",
            allow_reconnect=False,
            connect_timeout=NATS_ANSWER_S,
            error_cb=collect,
        )
        session = Session(user, nc, errors)
        opened.append(session)
        return session

    yield as_user
    for session in opened:
        await session.nc.close()


@pytest.fixture
def streams_script(nats_server: SecuredNats) -> Callable[..., subprocess.CompletedProcess]:
    """Run deploy/docker/streams.py as a user against the server: `(user, *arguments)`."""

    def run(user: str, *arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, REPOSITORY / "deploy" / "docker" / "streams.py", *arguments],
            env={
                "NATS_URL": nats_server.url,
                "DAYBOOK_NATS_USER": user,
                "DAYBOOK_NATS_PASSWORD": nats_server.passwords[user],
                # A refused request goes unanswered; say so after a second, not ten.
                "DAYBOOK_REQUEST_TIMEOUT_S": "1",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run
