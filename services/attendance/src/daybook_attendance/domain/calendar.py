"""The company holiday calendar: days off for everyone, whatever the schedules say."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from daybook_attendance.domain.errors import HolidayClash, HolidayNotFound
from daybook_attendance.domain.events import DecidedEvent
from daybook_shared.contracts.attendance import HolidayCancelled, HolidayDeclared

CALENDAR_STREAM = "attendance-calendar"


@dataclass(frozen=True)
class HolidayCalendar:
    holidays: dict[date, str] = field(default_factory=dict)


def evolve_calendar(
    calendar: HolidayCalendar, event: HolidayDeclared | HolidayCancelled
) -> HolidayCalendar:
    holidays = dict(calendar.holidays)
    if isinstance(event, HolidayDeclared):
        holidays[event.holiday_date] = event.name
    else:
        holidays.pop(event.holiday_date, None)
    return HolidayCalendar(holidays)


@dataclass(frozen=True)
class DeclareHoliday:
    holiday_date: date
    name: str
    declared_at: datetime


@dataclass(frozen=True)
class CancelHoliday:
    holiday_date: date
    reason: str
    cancelled_at: datetime


def decide_declare_holiday(
    command: DeclareHoliday, calendar: HolidayCalendar
) -> list[DecidedEvent]:
    existing = calendar.holidays.get(command.holiday_date)
    if existing == command.name:
        return []
    if existing is not None:
        raise HolidayClash(
            f"{command.holiday_date} is already the holiday {existing!r}; cancel it first",
            field="holiday_date",
        )
    event = HolidayDeclared(holiday_date=command.holiday_date, name=command.name)
    return [DecidedEvent(event, command.declared_at)]


def decide_cancel_holiday(command: CancelHoliday, calendar: HolidayCalendar) -> list[DecidedEvent]:
    if command.holiday_date not in calendar.holidays:
        raise HolidayNotFound(
            f"no holiday is declared on {command.holiday_date}", field="holiday_date"
        )
    event = HolidayCancelled(holiday_date=command.holiday_date, reason=command.reason)
    return [DecidedEvent(event, command.cancelled_at)]
