"""An employee's professional development log: training, reading, mentoring, certifications.

R-A6: follow the industry; improve through training, books and articles, or a mentor.
R-B5.1, R-B5.2: company training and vocational qualifications.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from daybook_reporting.domain.facts import Recorded, build
from daybook_shared.contracts.reporting import (
    CertificationObtained,
    DevelopmentKind,
    TrainingCompleted,
)
from daybook_shared.errors import Conflict, InvalidCommand
from daybook_shared.kit.ids import derived_id


def development_stream(employee_id: str) -> str:
    return f"development:{employee_id}"


@dataclass(frozen=True)
class LogTraining:
    """R-A6, R-B5.1: training attended, professional reading done, or mentoring received."""

    employee_id: str
    kind: DevelopmentKind
    title: str
    hours: Decimal
    completed_on: date
    logged_at: datetime
    today: date


@dataclass(frozen=True)
class LogCertification:
    """R-B5.2: a qualification obtained."""

    employee_id: str
    name: str
    issuer: str
    obtained_on: date
    expires_on: date | None
    logged_at: datetime
    today: date


@dataclass(frozen=True)
class DevelopmentLog:
    entry_ids: frozenset[UUID] = field(default_factory=frozenset)


def evolve(state: DevelopmentLog, payload: object) -> DevelopmentLog:
    if isinstance(payload, TrainingCompleted | CertificationObtained):
        return replace(state, entry_ids=state.entry_ids | {payload.entry_id})
    return state


def _not_in_future(day: date, today: date, field_name: str) -> None:
    if day > today:
        raise InvalidCommand(
            f"{field_name} {day.isoformat()} is in the future (today is {today.isoformat()})",
            field=field_name,
        )


def _entry_key(*parts: object) -> str:
    return "|".join(str(part).strip().casefold() for part in parts)


def log_training(command: LogTraining, state: DevelopmentLog) -> list[Recorded]:
    """The same activity on the same day is logged once: its entry id derives from what it is."""
    _not_in_future(command.completed_on, command.today, "completed_on")
    entry_id = derived_id(
        "TrainingCompleted",
        command.employee_id,
        _entry_key(command.kind, command.title, command.completed_on),
    )
    if entry_id in state.entry_ids:
        raise Conflict(
            f"{command.kind} {command.title!r} on {command.completed_on.isoformat()} is already "
            "in the development log",
            field="title",
        )
    payload = build(
        TrainingCompleted,
        entry_id=entry_id,
        employee_id=command.employee_id,
        kind=command.kind,
        title=command.title,
        hours=command.hours,
        completed_on=command.completed_on,
    )
    return [Recorded(payload, command.logged_at)]


def log_certification(command: LogCertification, state: DevelopmentLog) -> list[Recorded]:
    _not_in_future(command.obtained_on, command.today, "obtained_on")
    entry_id = derived_id(
        "CertificationObtained",
        command.employee_id,
        _entry_key(command.name, command.issuer, command.obtained_on),
    )
    if entry_id in state.entry_ids:
        raise Conflict(
            f"certification {command.name!r} from {command.issuer!r} obtained on "
            f"{command.obtained_on.isoformat()} is already in the development log",
            field="name",
        )
    payload = build(
        CertificationObtained,
        entry_id=entry_id,
        employee_id=command.employee_id,
        name=command.name,
        issuer=command.issuer,
        obtained_on=command.obtained_on,
        expires_on=command.expires_on,
    )
    return [Recorded(payload, command.logged_at)]
