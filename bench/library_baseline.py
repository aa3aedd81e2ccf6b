"""The `eventsourcing` library (9.x, PostgreSQL persistence through psycopg) doing Daybook's saves.

The library is synchronous: 32 concurrent writers are 32 threads sharing a 32-connection pool,
the way a threaded web server would use it. Its PostgreSQL application recorder takes an
EXCLUSIVE lock on the events table per save (to keep notification ids gap-free), so concurrent
saves queue on that lock; that is the library's design, measured as it ships. No aggregate
cache and no snapshots, like the kit: every command replays its stream from the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Employee(Aggregate):
    """The same facts as the kit's EmployeeHired: one event per new aggregate."""

    @event("Hired")
    def __init__(
        self, employee_id: str, display_name: str, team_id: str, timezone: str, hired_on: str
    ) -> None:
        self.employee_id = employee_id
        self.display_name = display_name
        self.team_id = team_id
        self.timezone = timezone
        self.hired_on = hired_on


class Customer(Aggregate):
    """A customer whose interactions are counted: load, decide (the next number), append."""

    @event("Registered")
    def __init__(self, customer_id: str) -> None:
        self.customer_id = customer_id
        self.interactions = 0

    @event("InteractionLogged")
    def log_interaction(
        self, interaction_id: str, employee_id: str, channel: str, duration_minutes: int
    ) -> None:
        self.interactions += 1


class Daybook(Application):
    name = "daybook_bench"


def library_environment(database_url: str, pool_size: int) -> dict[str, str]:
    """The library's own settings (its documented environment variables) for `database_url`."""
    parts = urlsplit(database_url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/"),
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_PASSWORD": parts.password or "",
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
        "CREATE_TABLE": "y",
    }


def open_application(database_url: str, pool_size: int = 33) -> Daybook:
    return Daybook(env=library_environment(database_url, pool_size))


def hire(app: Daybook, n: int) -> None:
    app.save(
        Employee(
            employee_id=f"E{n}",
            display_name=f"Employee {n}",
            team_id=f"T{n % 10}",
            timezone="Asia/Shanghai",
            hired_on="2026-03-01",
        )
    )


def appends_per_second(app: Daybook, count: int, writers: int) -> float:
    """New single-event aggregates saved per second, `writers` threads at a time."""
    return _timed(count, writers, lambda n: hire(app, n))


def customer_with_history(app: Daybook, customer_id: str, length: int) -> UUID:
    """A customer stream of `length` events (registration included), saved in one go."""
    customer = Customer(customer_id=customer_id)
    for n in range(1, length):
        customer.log_interaction(f"I{n}", "E1", "call", 5)
    app.save(customer)
    return customer.id


def log_interaction(app: Daybook, customer_id: UUID) -> None:
    customer: Customer = app.repository.get(customer_id)
    customer.log_interaction(f"I{customer.interactions + 1}", "E1", "call", 5)
    app.save(customer)


def commands_per_second(app: Daybook, customer_id: UUID, count: int) -> float:
    """Load-decide-append commands on one existing customer per second, one at a time."""
    return _timed(count, 1, lambda _: log_interaction(app, customer_id))


def _timed(count: int, writers: int, one: Callable[[int], None]) -> float:
    started = time.perf_counter()
    if writers == 1:
        for n in range(count):
            one(n)
    else:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            for future in [pool.submit(one, n) for n in range(count)]:
                future.result()
    return count / (time.perf_counter() - started)
