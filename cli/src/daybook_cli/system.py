"""Daybook on one machine: the four services as separate OS processes on one NATS and one
PostgreSQL, each service with a database of its own.

Every run gets a fresh namespace (subject and stream prefix) and fresh databases, so two runs on
one server never see each other's events; `stop()` ends the processes (SIGTERM, then SIGKILL after
a grace period), drops the databases and deletes the namespace's streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
from nats.js.errors import NotFoundError

from daybook_cli.errors import CliError
from daybook_shared.contracts import Namespace
from daybook_shared.contracts.subjects import Context
from daybook_shared.infra import Infra, create_database, drop_database
from daybook_shared.infra.embedded import free_port

# Owners first: a service reads streams that their owners declare when they start.
START_ORDER = ("attendance", "crm", "reporting", "appraisal")
SERVICES = ("attendance", "reporting", "crm", "appraisal")
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
PORT_ATTEMPTS = 3

# Settings of the parent's environment that must not leak into a service: each is set explicitly.
_OWN_VARIABLES = ("DATABASE_URL", "NATS_URL")


@dataclass
class ServiceProcess:
    """One service running as its own OS process."""

    name: str
    port: int
    database_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, characters: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-characters:]
        except OSError:
            return "(no log)"


@dataclass
class LocalSystem:
    """The four services on `infra`, started and stopped as a whole (or one at a time).

    `clock_file` shares a simulated clock (development only); `service_env` adds settings per
    service (for example `{"reporting": {"DAYBOOK_RUN_SWEEPS": "false"}}`).
    """

    infra: Infra
    workdir: Path
    jwt_secret: str | None = None
    clock_file: Path | None = None
    service_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    _databases: list[str] = field(default_factory=list)

    @property
    def namespace(self) -> Namespace:
        return Namespace(prefix=f"d{self.run_id}")

    @property
    def urls(self) -> dict[str, str]:
        return {name: service.url for name, service in self.services.items()}

    async def start(self) -> None:
        """Create a database per service and start the services in order, each until ready."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in START_ORDER:
            database = f"daybook_{self.run_id}_{name}"
            try:
                url = await create_database(self.infra.postgres_url, database)
            except Exception as exc:  # asyncpg and OS errors alike: say which server refused
                raise CliError(
                    f"Could not create the database {database} on {self.infra.postgres_url}: {exc}."
                ) from exc
            self._databases.append(database)
            self.services[name] = ServiceProcess(
                name=name,
                port=0,
                database_url=url,
                log_path=self.workdir / f"{name}.log",
            )
        for name in START_ORDER:
            await self.start_service(name)

    async def start_service(self, name: str) -> ServiceProcess:
        """(Re)start one service with its database and port kept; return once it is ready."""
        service = self.services[name]
        if service.running():
            raise CliError(f"The {name} service is already running on {service.url}.")
        for attempt in range(1, PORT_ATTEMPTS + 1):
            if service.port == 0 or attempt > 1:
                service.port = free_port()
            with service.log_path.open("ab") as log:
                service.process = await asyncio.to_thread(
                    subprocess.Popen,
                    [sys.executable, "-m", f"daybook_{name}"],
                    env=self._environment(service),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # A session of its own: Ctrl-C in the terminal reaches the CLI only, which then
                    # stops the services in order.
                    start_new_session=True,
                )
            try:
                await self.wait_ready(name)
                return service
            except CliError:
                taken = "address already in use" in service.log_tail().lower()
                if not taken or attempt == PORT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable: the last attempt raises")

    def _environment(self, service: ServiceProcess) -> dict[str, str]:
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DAYBOOK_") and key not in _OWN_VARIABLES
        }
        environment = {
            **inherited,
            "PYTHONUNBUFFERED": "1",
            "DAYBOOK_ENVIRONMENT": "development",
            "DATABASE_URL": service.database_url,
            "NATS_URL": self.infra.nats_url,
            "DAYBOOK_NAMESPACE": self.namespace.prefix,
            "DAYBOOK_HTTP_HOST": "127.0.0.1",
            "DAYBOOK_HTTP_PORT": str(service.port),
        }
        if self.jwt_secret:
            environment["DAYBOOK_JWT_SECRET"] = self.jwt_secret
        if self.clock_file is not None:
            environment["DAYBOOK_CLOCK_FILE"] = str(self.clock_file)
        environment.update(self.service_env.get(service.name, {}))
        return environment

    async def wait_ready(self, name: str, timeout: float = READY_TIMEOUT_S) -> None:  # noqa: ASYNC109
        """Poll `/readyz` until it answers 200; fail at once if the process exits."""
        service = self.services[name]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        last = "no answer yet"
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if not service.running():
                    code = service.process.returncode if service.process else None
                    raise CliError(
                        f"The {name} service stopped while starting (exit status {code}); "
                        f"its log ({service.log_path}) ends with:\n{service.log_tail()}"
                    )
                try:
                    answer = await client.get(f"{service.url}/readyz")
                    if answer.status_code == 200:
                        return
                    last = f"/readyz answered {answer.status_code}: {answer.text[:200]}"
                except httpx.TransportError as exc:
                    last = f"{type(exc).__name__}"
                if loop.time() >= deadline:
                    raise CliError(
                        f"The {name} service was not ready within {timeout:g} s ({last}); "
                        f"see its log {service.log_path}."
                    )
                await asyncio.sleep(0.1)

    async def kill(self, name: str) -> None:
        """Kill one service at once (SIGKILL), as a crash would."""
        service = self.services[name]
        if service.process is not None and service.running():
            service.process.kill()
            await asyncio.to_thread(service.process.wait)

    async def stop_service(self, name: str) -> None:
        """Stop one service cleanly (SIGTERM), killing it if it does not stop in time."""
        service = self.services[name]
        process = service.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)

    async def stop(self) -> None:
        """Stop every service (readers first), then drop the databases and the streams."""
        await asyncio.gather(
            *(self.stop_service(name) for name in reversed(START_ORDER) if name in self.services)
        )
        for database in self._databases:
            with contextlib.suppress(Exception):
                await drop_database(self.infra.postgres_url, database)
        self._databases.clear()
        with contextlib.suppress(Exception):
            await delete_streams(self.infra.nats_url, self.namespace)

    async def __aenter__(self) -> LocalSystem:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


async def delete_streams(nats_url: str, namespace: Namespace) -> None:
    """Delete the streams of a run's namespace (never of the production, empty one)."""
    if not namespace.prefix:
        raise ValueError("refusing to delete the streams of the production (empty) namespace")
    client = await nats.connect(nats_url, name="daybook-cli-cleanup", connect_timeout=5)
    try:
        js = client.jetstream()
        for context in Context:
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(namespace.stream_name(context))
    finally:
        await client.close()
