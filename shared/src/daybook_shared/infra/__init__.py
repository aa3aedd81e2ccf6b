"""The infrastructure finder: NATS with JetStream and PostgreSQL for tests and local runs.

`find_or_start()` takes each server from the environment (`NATS_URL`, `DATABASE_URL`), else
starts a container where a Docker engine answers, else an embedded server on a free loopback
port; see `daybook_shared.infra.finder`.
"""

from daybook_shared.infra.databases import create_database, database_url, drop_database
from daybook_shared.infra.finder import MODES, How, Infra, Mode, Source, find_or_start
from daybook_shared.infra.probes import InfraError

__all__ = [
    "MODES",
    "How",
    "Infra",
    "InfraError",
    "Mode",
    "Source",
    "create_database",
    "database_url",
    "drop_database",
    "find_or_start",
]
