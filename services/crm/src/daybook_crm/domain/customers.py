"""Customer records: registered with an owner, maintained, reassigned (R-A5).

The record's details (names, contact data) are not in any event (R-B3.4): commands carry them so
the rules can judge completeness and changes, and the application keeps them in crm's own table.
The events say who owns the record, which fields changed and how complete it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from daybook_crm.domain.business_time import require_not_future
from daybook_shared.contracts import Payload
from daybook_shared.contracts.crm import (
    CustomerReassigned,
    CustomerRecordUpdated,
    CustomerRegistered,
    RecordSource,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound
from daybook_shared.kit.eventstore import NewEvent

PROFILE_FIELDS: tuple[str, ...] = (
    "name",
    "company",
    "contact_person",
    "email",
    "phone",
    "address",
    "city",
    "country",
    "industry",
    "website",
)
"""The fields a complete record has; completeness is the share of them filled."""

REQUIRED_FIELDS: frozenset[str] = frozenset({"name"})
MAX_FIELD_LENGTH = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # line breaks and tabs pass
# R-A5 asks for accurate data: values that cannot be an address or a number are refused.
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "email": (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an e-mail address such as a@b.com"),
    "phone": (re.compile(r"^\+?[0-9][0-9 ()./-]{4,31}$"), "a phone number of digits"),
    "website": (
        re.compile(r"^(https?://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/\S*)?$"),
        "a web address such as example.com",
    ),
}

Profile = Mapping[str, str]
"""A record's details: only filled fields, values stripped."""


def stream_id(customer_id: str) -> str:
    return f"crm-customer-{customer_id}"


def normalised(profile: Mapping[str, str | None]) -> dict[str, str]:
    """Drop blank values and refuse fields a record does not have."""
    unknown = sorted(set(profile) - set(PROFILE_FIELDS))
    if unknown:
        raise InvalidCommand(f"unknown customer field {unknown[0]!r}", field=unknown[0])
    cleaned = {name: (value or "").strip() for name, value in profile.items()}
    return {name: value for name, value in cleaned.items() if value}


def completeness(profile: Profile) -> int:
    """Percent of `PROFILE_FIELDS` filled (R-A5: data accurate and complete)."""
    filled = sum(1 for name in PROFILE_FIELDS if profile.get(name))
    return round(100 * filled / len(PROFILE_FIELDS))


def with_changes(current: Profile, changes: Mapping[str, str | None]) -> dict[str, str]:
    """The record after `changes`: a value sets a field, a blank or None clears it."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise InvalidCommand(f"unknown customer field {unknown[0]!r}", field=unknown[0])
    merged = dict(current)
    for name, value in changes.items():
        cleaned = (value or "").strip()
        if cleaned:
            merged[name] = cleaned
        else:
            merged.pop(name, None)
    return merged


def profile_problems(profile: Profile) -> list[tuple[str, str]]:
    """Every (field, problem) of a record, so an import can report them all at once."""
    problems = [
        (name, f"a customer record needs a {name}")
        for name in sorted(REQUIRED_FIELDS)
        if not profile.get(name)
    ]
    for name in PROFILE_FIELDS:
        value = profile.get(name)
        if not value:
            continue
        if len(value) > MAX_FIELD_LENGTH:
            problems.append((name, f"{name} is longer than {MAX_FIELD_LENGTH} characters"))
            continue
        if _CONTROL.search(value):
            problems.append((name, f"{name} contains control characters"))
            continue
        rule = _FORMATS.get(name)
        if rule is not None and not rule[0].match(value):
            problems.append((name, f"{name} must be {rule[1]}"))
    return problems


def _require_valid(profile: Profile) -> None:
    problems = profile_problems(profile)
    if problems:
        field, message = problems[0]
        raise InvalidCommand(message, field=field)


@dataclass(frozen=True)
class Customer:
    customer_id: str
    owner_id: str
    completeness: int


@dataclass(frozen=True)
class RegisterCustomer:
    customer_id: str
    owner_id: str
    profile: Mapping[str, str | None]
    at: datetime
    now: datetime
    source: RecordSource = "manual"


@dataclass(frozen=True)
class UpdateCustomer:
    """Set or clear fields; `current` is the stored record from crm's private table."""

    customer_id: str
    changes: Mapping[str, str | None]
    current: Profile
    at: datetime
    now: datetime
    source: RecordSource = "manual"


@dataclass(frozen=True)
class ReassignCustomer:
    customer_id: str
    new_owner_id: str
    at: datetime
    now: datetime
    source: RecordSource = "manual"


CustomerCommand = RegisterCustomer | UpdateCustomer | ReassignCustomer


def evolve(state: Customer | None, payload: Payload) -> Customer | None:
    match payload:
        case CustomerRegistered():
            return Customer(payload.customer_id, payload.employee_id, payload.completeness)
        case CustomerRecordUpdated() if state is not None:
            return Customer(state.customer_id, state.owner_id, payload.completeness)
        case CustomerReassigned() if state is not None:
            return Customer(state.customer_id, payload.employee_id, state.completeness)
    return state


def fold(payloads: Iterable[Payload]) -> Customer | None:
    state: Customer | None = None
    for payload in payloads:
        state = evolve(state, payload)
    return state


def require_customer(state: Customer | None, customer_id: str) -> Customer:
    if state is None:
        raise NotFound(f"no customer {customer_id!r}", field="customer_id")
    return state


def decide(command: CustomerCommand, state: Customer | None) -> list[NewEvent]:
    require_not_future(command.at, command.now, "at")
    match command:
        case RegisterCustomer():
            return _register(command, state)
        case UpdateCustomer():
            return _update(command, require_customer(state, command.customer_id))
        case ReassignCustomer():
            return _reassign(command, require_customer(state, command.customer_id))


def _register(command: RegisterCustomer, state: Customer | None) -> list[NewEvent]:
    if state is not None:
        raise Conflict(
            f"customer {command.customer_id!r} is already registered", field="customer_id"
        )
    profile = normalised(command.profile)
    _require_valid(profile)
    event = CustomerRegistered(
        customer_id=command.customer_id,
        employee_id=command.owner_id,
        completeness=completeness(profile),
        source=command.source,
    )
    return [NewEvent(event, command.at)]


def _update(command: UpdateCustomer, state: Customer) -> list[NewEvent]:
    updated = with_changes(command.current, command.changes)
    _require_valid(updated)
    changed = tuple(
        name for name in PROFILE_FIELDS if updated.get(name) != command.current.get(name)
    )
    if not changed:
        return []
    event = CustomerRecordUpdated(
        customer_id=state.customer_id,
        employee_id=state.owner_id,
        completeness=completeness(updated),
        previous_completeness=state.completeness,
        changed_fields=changed,
        source=command.source,
    )
    return [NewEvent(event, command.at)]


def _reassign(command: ReassignCustomer, state: Customer) -> list[NewEvent]:
    if command.new_owner_id == state.owner_id:
        return []
    event = CustomerReassigned(
        customer_id=state.customer_id,
        employee_id=command.new_owner_id,
        previous_employee_id=state.owner_id,
        completeness=state.completeness,
        source=command.source,
    )
    return [NewEvent(event, command.at)]
