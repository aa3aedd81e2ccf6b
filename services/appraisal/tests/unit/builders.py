"""Builders shared by the appraisal domain's unit tests (no I/O but reading the shipped policy)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from daybook_appraisal.domain.facts import Fact, FactKind, Window
from daybook_appraisal.domain.outcomes import Period
from daybook_appraisal.domain.policy import LoadedPolicy
from daybook_appraisal.policy_files import SHIPPED_POLICY_DIR, read_policy

TZ = ZoneInfo("Asia/Shanghai")
K = FactKind
OCT = Period("2026-10", Window(date(2026, 10, 1), date(2026, 10, 31)))
NOV = Period("2026-11", Window(date(2026, 11, 1), date(2026, 11, 30)))
DEC = Period("2026-12", Window(date(2026, 12, 1), date(2026, 12, 31)))
_IDS = UUID("0b9c1d1e-0000-4000-8000-000000000000")


def default_policy() -> LoadedPolicy:
    return read_policy(SHIPPED_POLICY_DIR / "default.yaml")


def default_text() -> str:
    return (SHIPPED_POLICY_DIR / "default.yaml").read_text()


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


@dataclass
class FactBook:
    """Facts for one employee with stable ids (`f1`, `f2`...) so tests can name them."""

    employee_id: str = "E1"
    facts: list[Fact] = field(default_factory=list)

    def add(
        self, kind: FactKind, day: date, value: Any = 1, *, hour: int = 10, **fields: Any
    ) -> Fact:
        number = len(self.facts) + 1
        fields.setdefault("on_date", day)
        fact = Fact(
            event_id=uuid5(_IDS, f"{self.employee_id}-{number}"),
            event_type=fields.pop("event_type", kind.value),
            kind=kind,
            employee_id=self.employee_id,
            occurred_at=fields.pop("occurred_at", local(day, hour)),
            value=Decimal(value),
            **fields,
        )
        self.facts.append(fact)
        return fact

    def many(self, kind: FactKind, days: list[date], value: Any = 1, **fields: Any) -> list[Fact]:
        return [self.add(kind, day, value, **fields) for day in days]


def nov(day: int) -> date:
    return date(2026, 11, day)


def workdays(month: int, count: int) -> list[date]:
    """The first `count` weekdays of a 2026 month."""
    days: list[date] = []
    day = date(2026, month, 1)
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day = date.fromordinal(day.toordinal() + 1)
    return days


def excellent_month(book: FactBook, month: int) -> FactBook:
    """Everything the default policy measures, done in full: a score of 100."""
    first = date(2026, month, 1)
    until = first.replace(day=calendar.monthrange(2026, month)[1])
    book.add(
        K.SALES_TARGET,
        first,
        "100000.00",
        until=until,
        unit="CNY",
        key=f"goal:{book.employee_id}:{month}",
    )
    book.add(K.DEAL_WON, first.replace(day=10), "100000.00", unit="CNY")
    book.add(K.SATISFACTION_RATING, first.replace(day=12), 5)
    book.many(K.DAILY_REPORT_ON_TIME, workdays(month, 20), hour=19)
    book.add(K.TRAINING_HOURS, first.replace(day=14), 16)
    return book


def weak_month(book: FactBook, month: int) -> FactBook:
    """Nothing sold against a target, otherwise blameless: sales 0 of 30/55 weight, punctuality
    15/55, data upkeep 5/55, development 0: 27.27 + 9.09 = 36.36, poor."""
    first = date(2026, month, 1)
    book.add(
        K.SALES_TARGET,
        first,
        "100000.00",
        until=first.replace(day=28),
        unit="CNY",
        key=f"goal:{book.employee_id}:{month}",
    )
    return book
