"""Where the commands find a running Daybook: explicit URLs, else what `daybook up` wrote down,
else the ports docker compose publishes."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from daybook_cli.system import SERVICES
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET

STATE_FILE = Path("build/up/system.json")
COMPOSE_PORTS = {"attendance": 8001, "reporting": 8002, "crm": 8003, "appraisal": 8004}


@dataclass(frozen=True)
class RunningSystem:
    """What `daybook up` writes down for the other commands while it runs."""

    urls: dict[str, str]
    nats_url: str
    namespace: str

    def write(self, path: Path = STATE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", "utf-8")

    @staticmethod
    def forget(path: Path = STATE_FILE) -> None:
        path.unlink(missing_ok=True)

    @classmethod
    def read(cls, path: Path = STATE_FILE) -> RunningSystem | None:
        try:
            data = json.loads(path.read_text("utf-8"))
            return cls(
                urls=dict(data["urls"]), nats_url=data["nats_url"], namespace=data["namespace"]
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def service_url(service: str) -> str:
    """`DAYBOOK_<SERVICE>_URL`, else the running `daybook up`, else compose's port."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}")
    explicit = os.environ.get(f"DAYBOOK_{service.upper()}_URL")
    if explicit:
        return explicit
    running = RunningSystem.read()
    if running is not None and service in running.urls:
        return running.urls[service]
    return f"http://127.0.0.1:{COMPOSE_PORTS[service]}"


def jwt_secret() -> str:
    """The key tokens are signed with: `DAYBOOK_JWT_SECRET`, else the development key."""
    return os.environ.get("DAYBOOK_JWT_SECRET") or DEVELOPMENT_JWT_SECRET
