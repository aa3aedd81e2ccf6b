"""Events of the organisation's HR system (or the bundled roster importer): who works where."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator

from daybook_shared.contracts.base import EmployeeId, Payload, ShortText, TeamId


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {name!r} (use an IANA name such as Asia/Shanghai)"
        ) from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
Role = Literal["salesperson", "supervisor", "hr"]


class HrEvent(Payload):
    context: ClassVar[str] = "hr"


class EmployeeHired(HrEvent):
    event_type: ClassVar[str] = "EmployeeHired"
    employee_id: EmployeeId
    display_name: ShortText
    team_id: TeamId
    supervisor_id: EmployeeId | None = None
    role: Role = "salesperson"
    timezone: TimeZoneName
    hired_on: date


class EmployeeTransferred(HrEvent):
    event_type: ClassVar[str] = "EmployeeTransferred"
    employee_id: EmployeeId
    team_id: TeamId
    supervisor_id: EmployeeId | None = None
    role: Role | None = None
    timezone: TimeZoneName | None = None
    effective_on: date


class EmployeeLeft(HrEvent):
    event_type: ClassVar[str] = "EmployeeLeft"
    employee_id: EmployeeId
    left_on: date
    reason: ShortText | None = None
