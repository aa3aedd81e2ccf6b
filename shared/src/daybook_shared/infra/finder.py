"""Find NATS (with JetStream) and PostgreSQL, or start them: environment, Docker, embedded.

Each server is looked for on its own, in this order:
1. the URL in the environment (`NATS_URL`, `DATABASE_URL`: an admin DSN of a server where
   databases can be created), as on CI and in deployments;
2. a container started by testcontainers, where a Docker engine answers;
3. an embedded server on a free loopback port in a temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from daybook_shared.infra import containers, embedded
from daybook_shared.infra.probes import InfraError, nats_answers, postgres_answers

Mode = Literal["auto", "env", "docker", "embedded"]
Source = Literal["env", "docker", "embedded"]
MODES: tuple[Mode, ...] = get_args(Mode)


@dataclass(frozen=True)
class How:
    """Where each server came from."""

    nats: Source
    postgres: Source

    def __str__(self) -> str:
        return f"nats={self.nats} postgres={self.postgres}"


@dataclass(frozen=True)
class Infra:
    """The servers a test run or a local run talks to."""

    nats_url: str
    postgres_url: str
    how: How


@dataclass(frozen=True)
class _Server:
    title: str
    folder: str
    env_var: str
    answers: Callable[[str], str | None]
    container: Callable[[], AbstractContextManager[str]]
    embedded: Callable[[Path], AbstractContextManager[str]]


NATS = _Server(
    title="NATS with JetStream",
    folder="nats",
    env_var="NATS_URL",
    answers=nats_answers,
    container=containers.nats_container,
    embedded=embedded.embedded_nats,
)
POSTGRES = _Server(
    title="PostgreSQL",
    folder="postgres",
    env_var="DATABASE_URL",
    answers=postgres_answers,
    container=containers.postgres_container,
    embedded=embedded.embedded_postgres,
)


@contextlib.contextmanager
def find_or_start(
    mode: Mode = "auto", *, environ: Mapping[str, str] | None = None
) -> Iterator[Infra]:
    """Find or start both servers; stop what was started, and delete its files, on exit.

    `mode` narrows the search: "env" only takes the environment's URLs, "docker" only starts
    containers, "embedded" only starts local servers (even when URLs are set); "auto" tries
    all three in order, for each server independently. Raises `InfraError` saying what was
    tried when a server cannot be had.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    env = os.environ if environ is None else environ
    with ExitStack() as stack:
        finder = _Finder(mode, env, stack)
        nats_url, nats_how = finder.provide(NATS)
        postgres_url, postgres_how = finder.provide(POSTGRES)
        yield Infra(
            nats_url=nats_url,
            postgres_url=postgres_url,
            how=How(nats=nats_how, postgres=postgres_how),
        )


class _Finder:
    def __init__(self, mode: Mode, env: Mapping[str, str], stack: ExitStack) -> None:
        self.mode = mode
        self.env = env
        self.stack = stack
        self._docker_reason: str | None = None
        self._docker_checked = False
        self._workdir: Path | None = None

    def provide(self, server: _Server) -> tuple[str, Source]:
        tried: list[str] = []
        if self.mode in ("auto", "env"):
            url = self.env.get(server.env_var, "").strip()
            if url:
                problem = server.answers(url)
                if problem is not None:
                    raise InfraError(
                        f"{server.title}: {server.env_var} is set, but {problem}. Fix or unset it."
                    )
                return url, "env"
            tried.append(f"{server.env_var} is not set")
        if self.mode in ("auto", "docker"):
            reason = self._docker_unavailable()
            if reason is None:
                try:
                    return self.stack.enter_context(server.container()), "docker"
                except InfraError as e:
                    tried.append(str(e))
            else:
                tried.append(reason)
        if self.mode in ("auto", "embedded"):
            try:
                workdir = self._temporary_directory() / server.folder
                return self.stack.enter_context(server.embedded(workdir)), "embedded"
            except InfraError as e:
                tried.append(f"the embedded server did not start: {e}")
        raise InfraError(
            f"Could not find or start {server.title} (mode {self.mode!r}): " + "; ".join(tried)
        )

    def _docker_unavailable(self) -> str | None:
        if not self._docker_checked:
            self._docker_reason = containers.docker_unavailable_reason()
            self._docker_checked = True
        return self._docker_reason

    def _temporary_directory(self) -> Path:
        if self._workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix="daybook-infra-"))
            # Traversable by the unprivileged user PostgreSQL runs as when we are root.
            workdir.chmod(0o711)
            self.stack.callback(shutil.rmtree, workdir, ignore_errors=True)
            self._workdir = workdir
        return self._workdir
