"""deploy/docker: a multi-stage image per service from uv.lock, non-root, with a health check.

No Docker engine runs here, so the Dockerfile is read, not built; what a build relies on (the
workspace package names, the lock, the entry points, the scripts) is checked against the tree.
"""

from __future__ import annotations

import http.server
import re
import shlex
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from daybook_shared.infra.embedded import free_port


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined: list[str] = []
    pending = ""
    for raw in path.read_text("utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined]


def _stages(path: Path) -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    current = stages.setdefault("global", [])  # the ARGs before the first FROM
    for instruction, arguments in _instructions(path):
        if instruction == "FROM":
            name = arguments.split()[-1] if " AS " in arguments.upper() else arguments
            current = stages.setdefault(name, [])
        current.append((instruction, arguments))
    return stages


@pytest.fixture(scope="module")
def stages(repository: Path) -> dict[str, list[tuple[str, str]]]:
    return _stages(repository / "deploy" / "docker" / "Dockerfile")


def test_the_builder_installs_one_service_from_the_lock(stages):
    runs = " ".join(
        arguments for instruction, arguments in stages["builder"] if instruction == "RUN"
    )
    assert "uv sync --frozen --package daybook-${SERVICE} --no-dev --no-install-workspace" in runs
    assert re.search(
        r"uv sync --frozen --package daybook-\$\{SERVICE\} --no-dev(?! --no-install)", runs
    )
    copies = [arguments for instruction, arguments in stages["builder"] if instruction == "COPY"]
    assert "uv.lock pyproject.toml ./" in copies
    assert ("ARG", "SERVICE") in stages["builder"]


def test_the_runtime_stage_is_slim_and_runs_as_an_unprivileged_user(stages):
    runtime = stages["runtime"]
    users = [arguments for instruction, arguments in runtime if instruction == "USER"]
    assert users, "the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert int(uid) > 0 and int(gid) > 0, (
        "a numeric, non-root user (Kubernetes checks runAsNonRoot)"
    )
    copies = [arguments for instruction, arguments in runtime if instruction == "COPY"]
    assert any(arguments.startswith("--from=builder") for arguments in copies)
    assert not any(
        instruction == "RUN" and "uv " in arguments for instruction, arguments in runtime
    )


def test_the_python_image_is_the_one_the_workspace_targets(stages, repository):
    arguments = dict(a.split("=", 1) for i, a in stages["global"] if i == "ARG" and "=" in a)
    target = tomllib.loads((repository / "pyproject.toml").read_text())["tool"]["ruff"]
    major, minor = re.fullmatch(r"py(\d)(\d+)", target["target-version"]).groups()
    assert arguments["PYTHON_IMAGE"].startswith(f"python:{major}.{minor}-slim")
    for stage in ("builder", "runtime"):
        assert stages[stage][0][1].startswith("${PYTHON_IMAGE} AS"), stage


def test_uv_is_the_version_the_makefile_pins(stages, repository):
    """The lock is written by that uv; an older one may not read it."""
    makefile = (repository / "Makefile").read_text()
    pinned = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE).group(1)
    assert ("ARG", f"UV_VERSION={pinned}") in stages["global"]
    assert ("FROM", "ghcr.io/astral-sh/uv:${UV_VERSION} AS uv") in stages["uv"]


def test_the_health_check_and_command_serve_the_service(stages):
    runtime = dict((instruction, arguments) for instruction, arguments in stages["runtime"])
    assert "/app/bin/healthcheck.py" in runtime["HEALTHCHECK"]
    assert '"/healthz"' in runtime["HEALTHCHECK"]
    environment = " ".join(a for i, a in stages["runtime"] if i == "ENV")
    assert "SERVICE_MODULE=daybook_${SERVICE}" in environment
    assert "DAYBOOK_HTTP_HOST=0.0.0.0" in environment
    port = re.search(r"DAYBOOK_HTTP_PORT=(\d+)", environment).group(1)
    assert runtime["EXPOSE"] == port
    assert runtime["CMD"] == '["sh", "-c", "exec python -m \\"$SERVICE_MODULE\\""]'


def test_each_service_is_a_workspace_package_the_image_can_run(repository, service):
    """`--package daybook-<service>` and `python -m daybook_<service>` must both resolve."""
    project = tomllib.loads((repository / "services" / service / "pyproject.toml").read_text())
    assert project["project"]["name"] == f"daybook-{service}"
    lock = tomllib.loads((repository / "uv.lock").read_text())
    assert f"daybook-{service}" in {package["name"] for package in lock["package"]}
    package = repository / "services" / service / "src" / f"daybook_{service}"
    assert (package / "__main__.py").is_file(), f"python -m daybook_{service} has no entry point"


def test_the_build_context_leaves_out_environments_and_secrets(repository):
    ignored = (repository / "deploy" / "docker" / "Dockerfile.dockerignore").read_text()
    patterns = {line.strip() for line in ignored.splitlines() if line and not line.startswith("#")}
    assert {"**/.venv", ".git", "**/__pycache__", ".env", "deploy/**/.env"} <= patterns


def test_the_scripts_the_image_copies_exist(stages, repository):
    copies = [a for i, a in stages["builder"] if i == "COPY" and "deploy/docker/" in a]
    (copy,) = copies
    *sources, target = shlex.split(copy)
    assert target == "/app/bin/"
    for source in sources:
        assert (repository / source).is_file(), source


class _Answer(http.server.BaseHTTPRequestHandler):
    statuses = {"/healthz": 200, "/readyz": 503}

    def do_GET(self) -> None:
        self.send_response(self.statuses.get(self.path, 404))
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet: the test reads exit codes, not the server's log."""


@pytest.fixture
def answering_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    thread.join()


def _run_healthcheck(repository: Path, port: int, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, repository / "deploy" / "docker" / "healthcheck.py", *arguments],
        env={"DAYBOOK_HTTP_PORT": str(port)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_healthcheck_passes_on_200_and_fails_otherwise(repository, answering_port):
    assert _run_healthcheck(repository, answering_port).returncode == 0
    assert _run_healthcheck(repository, answering_port, "/healthz").returncode == 0
    not_ready = _run_healthcheck(repository, answering_port, "/readyz")
    assert not_ready.returncode == 1
    assert "503" in not_ready.stderr


def test_healthcheck_fails_when_nothing_listens(repository):
    closed = free_port()
    outcome = _run_healthcheck(repository, closed)
    assert outcome.returncode == 1
    assert f"127.0.0.1:{closed}/healthz" in outcome.stderr
