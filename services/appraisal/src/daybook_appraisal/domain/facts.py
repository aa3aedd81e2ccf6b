"""What the appraisal counts: facts distilled from other contexts' events.

A fact is one countable thing about one employee (an unexcused late arrival, a won deal's amount,
a satisfaction rating), tied to the event that proved it. The policy's measures name fact kinds,
never event classes, so an organisation's policy reads in its own words and a new source of the
same fact needs no policy change.

Facts form a set: the same event delivered twice is the same fact, and the scoring reads them in a
fixed order whatever order they arrived in. A fact with a `key` stands for a slot that later facts
replace (a customer record's completeness, a revised sales target, a corrected late arrival): of
the facts sharing a key, only the one with the latest business time counts, and a `void` fact
empties the slot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo


class FactKind(StrEnum):
    LATE_ARRIVAL_EXCUSED = "late_arrival_excused"
    LATE_ARRIVAL_UNEXCUSED = "late_arrival_unexcused"
    EARLY_DEPARTURE_EXCUSED = "early_departure_excused"
    EARLY_DEPARTURE_UNEXCUSED = "early_departure_unexcused"
    ABSENCE_EXCUSED = "absence_excused"
    ABSENCE_UNEXCUSED = "absence_unexcused"
    DAILY_REPORT_ON_TIME = "daily_report_on_time"
    DAILY_REPORT_LATE = "daily_report_late"
    DAILY_REPORT_MISSED = "daily_report_missed"
    PROGRESS_REPORT_ON_TIME = "progress_report_on_time"
    PROGRESS_REPORT_LATE = "progress_report_late"
    PROGRESS_REPORT_MISSED = "progress_report_missed"
    MARKET_REPORT = "market_report"
    SALES_TARGET = "sales_target"
    TRAINING_HOURS = "training_hours"
    CERTIFICATION = "certification"
    DEAL_WON = "deal_won"
    SATISFACTION_RATING = "satisfaction_rating"
    INQUIRY_ANSWERED_IN_TIME = "inquiry_answered_in_time"
    INQUIRY_ANSWERED_LATE = "inquiry_answered_late"
    INQUIRY_OVERDUE = "inquiry_overdue"
    COMPLAINT_RESOLVED_IN_TIME = "complaint_resolved_in_time"
    COMPLAINT_RESOLVED_LATE = "complaint_resolved_late"
    COMPLAINT_OVERDUE = "complaint_overdue"
    RECORD_COMPLETENESS = "record_completeness"
    STALE_RECORDS = "stale_records"
    GIFT_DECLINED = "gift_declined"
    GIFT_ACCEPTED = "gift_accepted"
    IMPROPER_DEALING = "improper_dealing"
    CONFIDENTIALITY_BREACH = "confidentiality_breach"
    VOID = "void"


class Quantity(StrEnum):
    """What a fact's `value` measures; a ratio's two sides must measure the same thing."""

    OCCURRENCE = "occurrence"
    MONEY = "money"
    HOURS = "hours"
    RATING = "rating"
    PERCENT = "percent"
    RECORDS = "records"


@dataclass(frozen=True)
class KindInfo:
    quantity: Quantity
    standing: bool
    description: str


_O = Quantity.OCCURRENCE

KINDS: dict[FactKind, KindInfo] = {
    FactKind.LATE_ARRIVAL_EXCUSED: KindInfo(_O, False, "late arrival approved in advance (R-A1)"),
    FactKind.LATE_ARRIVAL_UNEXCUSED: KindInfo(_O, False, "late arrival without approval (R-A1)"),
    FactKind.EARLY_DEPARTURE_EXCUSED: KindInfo(_O, False, "early departure with permission"),
    FactKind.EARLY_DEPARTURE_UNEXCUSED: KindInfo(_O, False, "early departure without permission"),
    FactKind.ABSENCE_EXCUSED: KindInfo(_O, False, "absence covered by approved leave"),
    FactKind.ABSENCE_UNEXCUSED: KindInfo(_O, False, "absence without cause (R-B3.1)"),
    FactKind.DAILY_REPORT_ON_TIME: KindInfo(_O, False, "daily report before its deadline (R-A2)"),
    FactKind.DAILY_REPORT_LATE: KindInfo(_O, False, "daily report after its deadline (R-A2)"),
    FactKind.DAILY_REPORT_MISSED: KindInfo(_O, False, "daily report never submitted (R-A2)"),
    FactKind.PROGRESS_REPORT_ON_TIME: KindInfo(_O, False, "progress report on time (R-A3)"),
    FactKind.PROGRESS_REPORT_LATE: KindInfo(_O, False, "progress report late (R-A3, R-B2.4)"),
    FactKind.PROGRESS_REPORT_MISSED: KindInfo(_O, False, "progress report never submitted"),
    FactKind.MARKET_REPORT: KindInfo(_O, False, "market or competitor report (R-B2.3)"),
    FactKind.SALES_TARGET: KindInfo(
        Quantity.MONEY, False, "a goal's sales target, by the share of its span (R-A3)"
    ),
    FactKind.TRAINING_HOURS: KindInfo(
        Quantity.HOURS, False, "hours of training, reading or mentoring (R-A6)"
    ),
    FactKind.CERTIFICATION: KindInfo(_O, False, "certification obtained (R-B5.2)"),
    FactKind.DEAL_WON: KindInfo(Quantity.MONEY, False, "amount of a won deal (R-B1.1)"),
    FactKind.SATISFACTION_RATING: KindInfo(Quantity.RATING, False, "customer rating 1-5 (R-B4.1)"),
    FactKind.INQUIRY_ANSWERED_IN_TIME: KindInfo(_O, False, "inquiry answered in time (R-A4)"),
    FactKind.INQUIRY_ANSWERED_LATE: KindInfo(_O, False, "inquiry answered late (R-A4)"),
    FactKind.INQUIRY_OVERDUE: KindInfo(_O, False, "inquiry unanswered at deadline (R-A4)"),
    FactKind.COMPLAINT_RESOLVED_IN_TIME: KindInfo(_O, False, "complaint resolved in time"),
    FactKind.COMPLAINT_RESOLVED_LATE: KindInfo(_O, False, "complaint resolved late (R-B3.3)"),
    FactKind.COMPLAINT_OVERDUE: KindInfo(_O, False, "complaint unresolved at deadline"),
    FactKind.RECORD_COMPLETENESS: KindInfo(
        Quantity.PERCENT, True, "completeness of an owned customer record, latest (R-A5)"
    ),
    FactKind.STALE_RECORDS: KindInfo(
        Quantity.RECORDS, False, "owned records found stale by a sweep (R-A5)"
    ),
    FactKind.GIFT_DECLINED: KindInfo(_O, False, "gift declared and declined (R-B3.2)"),
    FactKind.GIFT_ACCEPTED: KindInfo(_O, False, "gift declared and accepted (R-B3.2)"),
    FactKind.IMPROPER_DEALING: KindInfo(_O, False, "improper dealing reported (R-B3.2)"),
    FactKind.CONFIDENTIALITY_BREACH: KindInfo(_O, False, "confidentiality breach (R-B3.4)"),
    FactKind.VOID: KindInfo(_O, True, "empties the slot its key names; counts nothing"),
}

ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Fact:
    """One countable thing about one employee, and the event that proved it.

    Dating: `on_date` is the business date when the source event names one (the work day of a
    late arrival, the date of a missed report); otherwise the local date, in the employee's
    timezone, of `attributed_at` (the deadline an answer was due by) or else of `occurred_at`.
    A fact with `until` spans `on_date`..`until` (a goal's target) and a period counts the share
    of its value that falls inside it.

    Slots: of the facts sharing a `key`, the one with the highest (`revision`, `occurred_at`)
    counts. `grade` carries a severity for conduct facts; `unit` the currency of money facts.
    """

    event_id: UUID
    event_type: str
    kind: FactKind
    employee_id: str
    occurred_at: datetime
    on_date: date | None = None
    attributed_at: datetime | None = None
    until: date | None = None
    value: Decimal = ONE
    unit: str | None = None
    key: str | None = None
    revision: int = 0
    grade: str | None = None

    @property
    def identity(self) -> tuple[UUID, str, FactKind]:
        return (self.event_id, self.employee_id, self.kind)

    def business_date(self, tz: ZoneInfo) -> date:
        if self.on_date is not None:
            return self.on_date
        return (self.attributed_at or self.occurred_at).astimezone(tz).date()

    def order(self) -> tuple[datetime, str]:
        """The fixed order facts are read in, whatever order they arrived in."""
        return (self.occurred_at, str(self.event_id))

    def precedence(self) -> tuple[int, datetime, str]:
        """Within a slot, the fact that has the last word."""
        return (self.revision, self.occurred_at, str(self.event_id))


@dataclass(frozen=True)
class Window:
    """A span of business dates, both ends included."""

    starts_on: date
    ends_on: date

    def __post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise ValueError(f"window ends {self.ends_on} before it starts {self.starts_on}")

    def includes(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def end_instant(self, tz: ZoneInfo) -> datetime:
        """The first moment after the window, in the employee's timezone."""
        return datetime.combine(self.ends_on + timedelta(days=1), datetime.min.time(), tzinfo=tz)


def distinct(facts: list[Fact] | tuple[Fact, ...]) -> list[Fact]:
    """The set of facts, once each, in their fixed order (redelivery and arrival order vanish)."""
    unique = {fact.identity: fact for fact in facts}
    return sorted(unique.values(), key=Fact.order)


def resolve_slots(facts: list[Fact]) -> list[Fact]:
    """Keep, of each keyed slot, only its latest fact; drop slots that end empty (`void`)."""
    latest: dict[str, Fact] = {}
    unkeyed: list[Fact] = []
    for fact in facts:
        if fact.key is None:
            unkeyed.append(fact)
        elif fact.key not in latest or latest[fact.key].precedence() < fact.precedence():
            latest[fact.key] = fact
    kept = unkeyed + [fact for fact in latest.values() if fact.kind is not FactKind.VOID]
    return sorted(kept, key=Fact.order)


def facts_in(facts: list[Fact] | tuple[Fact, ...], window: Window, tz: ZoneInfo) -> list[Fact]:
    """The facts a period counts: those dated inside it, the share of spanning facts that falls
    inside it, and standing facts as of its end.

    A `void` is standing: it only ever empties a slot, and a slot's facts share its date unless the
    slot itself is standing, so a void dated before the period cannot remove a fact inside it
    except by being that slot's last word.
    """
    dated: list[Fact] = []
    for fact in distinct(facts):
        day = fact.business_date(tz)
        if fact.until is not None:
            share = _share_inside(Window(day, max(day, fact.until)), window)
            if share:
                dated.append(fact if share == 1 else replace(fact, value=_part(fact, share)))
        elif (KINDS[fact.kind].standing and day <= window.ends_on) or window.includes(day):
            dated.append(fact)
    return resolve_slots(dated)


def _share_inside(span: Window, window: Window) -> Decimal:
    first = max(span.starts_on, window.starts_on)
    last = min(span.ends_on, window.ends_on)
    if last < first:
        return Decimal(0)
    return Decimal((last - first).days + 1) / Decimal((span.ends_on - span.starts_on).days + 1)


def _part(fact: Fact, share: Decimal) -> Decimal:
    """A spanning fact's value for the days inside the period, to the hundredth (money's unit)."""
    return (fact.value * share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
