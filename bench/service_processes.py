"""Daybook services (and the bare baseline) as separate processes, the way they are deployed.

Each service runs `python -m daybook_<service>` with its settings in the environment, on a free
loopback port, logging JSON to a file under build/bench/logs/. Its consumers are watched through
JetStream (the durable names start with the service's name), its memory through /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from measure import peak_rss_mb, rss_mb, wait_for
from nats.js import JetStreamContext

from daybook_shared.contracts import Namespace
from daybook_shared.infra.embedded import free_port

LOGS = Path("build/bench/logs")
BENCH_DIR = Path(__file__).resolve().parent
START_WITHIN_S = 120.0
CONSUMED_STREAMS = ("hr", "attendance", "reporting", "crm", "appraisal")


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    rss_samples: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def sample_rss(self) -> float:
        value = rss_mb(self.pid)
        self.rss_samples.append(value)
        return value

    def peak_rss_mb(self) -> float:
        """The process's high-water mark (VmHWM), which also catches peaks between samples."""
        return peak_rss_mb(self.pid)

    async def wait_ready(self, client: httpx.AsyncClient, path: str) -> None:
        async def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                response = await client.get(self.url + path, timeout=2.0)
            except httpx.TransportError:
                return False
            return response.status_code == 200

        await wait_for(answers, what=f"{self.name} on {self.url}{path}", within=START_WITHIN_S)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _spawn(name: str, argv: Sequence[str], env: Mapping[str, str], label: str) -> ServiceProcess:
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{label}-{name}.log"
    port = int(env["DAYBOOK_HTTP_PORT"])
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=BENCH_DIR.parent,
        )
    return ServiceProcess(name=name, port=port, process=process, log_path=log_path)


def _base_environment() -> dict[str, str]:
    """Ours, without anything that would point a service elsewhere."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DAYBOOK_", "PG")) and key not in ("DATABASE_URL", "NATS_URL")
    }


def start_service(
    name: str,
    *,
    database_url: str,
    nats_url: str,
    namespace: Namespace,
    label: str,
    settings: Mapping[str, str] | None = None,
) -> ServiceProcess:
    """`python -m daybook_<name>` on a free port; `settings` are extra DAYBOOK_* variables."""
    env = _base_environment() | {
        "DATABASE_URL": database_url,
        "NATS_URL": nats_url,
        "DAYBOOK_NAMESPACE": namespace.prefix,
        "DAYBOOK_HTTP_HOST": "127.0.0.1",
        "DAYBOOK_HTTP_PORT": str(free_port()),
        "DAYBOOK_ENVIRONMENT": "development",
        "DAYBOOK_LOG_FORMAT": "json",
        "DAYBOOK_LOG_LEVEL": "INFO",
        **(settings or {}),
    }
    return _spawn(name, [sys.executable, "-m", f"daybook_{name}"], env, label)


def start_bare_endpoint(label: str) -> ServiceProcess:
    """The do-nothing FastAPI app under the same uvicorn settings as the services."""
    env = _base_environment() | {"DAYBOOK_HTTP_PORT": str(free_port())}
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bare_app:app",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        env["DAYBOOK_HTTP_PORT"],
        "--no-access-log",
        "--log-level",
        "warning",
        "--lifespan",
        "on",
    ]
    return _spawn("bare", argv, env, label)


@contextlib.asynccontextmanager
async def running(
    client: httpx.AsyncClient, processes: Sequence[ServiceProcess], ready_path: str = "/readyz"
) -> AsyncIterator[Sequence[ServiceProcess]]:
    """Wait until every process answers `ready_path`; stop them all on the way out."""
    try:
        for process in processes:
            await process.wait_ready(client, ready_path)
        yield processes
    finally:
        for process in processes:
            process.stop()


async def durables_of(
    js: JetStreamContext, namespace: Namespace, service: str
) -> list[tuple[str, str]]:
    """(stream, durable) of every consumer the service declared: their names start with it."""
    found = []
    for context in CONSUMED_STREAMS:
        stream = namespace.stream_name(context)
        with contextlib.suppress(Exception):
            for info in await js.consumers_info(stream):
                if info.name.startswith(f"{service}_"):
                    found.append((stream, info.name))
    return found


async def consumed(js: JetStreamContext, durables: Sequence[tuple[str, str]]) -> tuple[int, bool]:
    """How many messages these consumers have acknowledged, and whether none is left for them."""
    acknowledged = 0
    idle = True
    for stream, durable in durables:
        info = await js.consumer_info(stream, durable)
        acknowledged += (info.ack_floor.consumer_seq or 0) if info.ack_floor else 0
        if (info.num_pending or 0) > 0 or (info.num_ack_pending or 0) > 0:
            idle = False
    return acknowledged, idle


async def caught_up(
    js: JetStreamContext, namespace: Namespace, service: str, *, within: float
) -> None:
    """Wait until every consumer of `service` exists and has nothing pending."""

    async def idle() -> bool:
        durables = await durables_of(js, namespace, service)
        return bool(durables) and (await consumed(js, durables))[1]

    await wait_for(idle, what=f"{service}'s consumers to catch up", within=within, every=0.1)
