"""The simulated span as a plan: what each person does, at which simulated moment, decided from
the organisation, the calendar and the seed alone (pure: no I/O, no clock, no randomness but the
seeded one). The runner turns each action into HTTP calls.

A working day has three moments, in the organisation's timezone:
- 08:00: the day close of the days that ended; late-arrival and early-leave requests made in
  advance, and their approval;
- 10:30: the missed-report sweeps (yesterday's report was due at 09:00); late-arrival requests made
  after the start (approved, yet they excuse nothing: R-A1); late reports; late answers;
- 19:30: the day's customer work (with the times it happened), on-time reports, development, the
  badge readers' upload of the day's punches, then the overdue sweep (and, on a week's last
  working day, the stale-record sweep).
The plan ends on the first working day after the span, at 10:30, once every deadline of the span
has passed. `Plan.expected` holds, per salesperson, the facts the plan means the appraisal to
count, by fact kind: what the end-to-end tests compare the scorecards with.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from daybook_cli.simulation.organisation import CURRENCY, Gift, Organisation, Person, Profile

STARTS_AT = time(9, 0)
ENDS_AT = time(18, 0)
GRACE_MINUTES = 5
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
PROFILE_FIELDS = (
    "name", "company", "contact_person", "email", "phone",
    "address", "city", "country", "industry", "website",
)  # fmt: skip
NEGLECTED_FOR = timedelta(days=45)
TRAINING_SESSION_HOURS = Decimal("2")
LATE_COMPLAINT_AFTER = 5  # working days: past a high-severity complaint's deadline (3 days)

# Phases of a moment, in order. Actions with a lane run concurrently with other lanes' actions
# of the same phase; actions without one run alone, in order.
CLOSE, SWEEP_REPORTS, WORK, SWEEP_OVERDUE, SWEEP_STALE, OPEN_PERIOD = range(6)


class SpanError(ValueError):
    """A profile asks for more notable days than the span has."""


# Actions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    phase = WORK

    @property
    def lane(self) -> str | None:
        employee_id = getattr(self, "employee_id", None)
        return str(employee_id) if employee_id is not None else None


@dataclass(frozen=True)
class DeclareHoliday(Action):
    phase = CLOSE
    day: date
    name: str


@dataclass(frozen=True)
class AssignSchedule(Action):
    employee_id: str
    effective_from: date


@dataclass(frozen=True)
class SetTeamTarget(Action):
    phase = CLOSE
    team_id: str
    amount: Decimal
    starts_on: date
    ends_on: date


@dataclass(frozen=True)
class SetGoal(Action):
    employee_id: str
    team_id: str
    supervisor_id: str
    amount: Decimal

    @property
    def lane(self) -> str:
        """Goals are derived from their team's target, one after another (one stream)."""
        return f"target:{self.team_id}"


@dataclass(frozen=True)
class RegisterCustomer(Action):
    employee_id: str
    customer_id: str
    fields: int
    at: datetime


@dataclass(frozen=True)
class TakeLeave(Action):
    employee_id: str
    supervisor_id: str
    first_day: date
    last_day: date


@dataclass(frozen=True)
class OpenPeriod(Action):
    phase = OPEN_PERIOD
    period_id: str
    starts_on: date
    ends_on: date
    timezone: str


@dataclass(frozen=True)
class CloseDays(Action):
    phase = CLOSE


@dataclass(frozen=True)
class SweepReports(Action):
    phase = SWEEP_REPORTS


@dataclass(frozen=True)
class SweepOverdue(Action):
    phase = SWEEP_OVERDUE


@dataclass(frozen=True)
class SweepStaleRecords(Action):
    phase = SWEEP_STALE


@dataclass(frozen=True)
class AskLateArrival(Action):
    employee_id: str
    supervisor_id: str
    day: date
    expected_arrival: datetime


@dataclass(frozen=True)
class AskEarlyLeave(Action):
    employee_id: str
    supervisor_id: str
    day: date
    leave_at: datetime


@dataclass(frozen=True)
class Punch:
    employee_id: str
    kind: str
    at: datetime


@dataclass(frozen=True)
class UploadPunches(Action):
    device_id: str
    punches: tuple[Punch, ...]

    @property
    def lane(self) -> str:
        return f"device:{self.device_id}"


@dataclass(frozen=True)
class SubmitDailyReport(Action):
    employee_id: str
    day: date


@dataclass(frozen=True)
class ReportProgress(Action):
    employee_id: str
    period_start: date
    amount: Decimal


@dataclass(frozen=True)
class LogInteraction(Action):
    employee_id: str
    customer_id: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class ReceiveInquiry(Action):
    employee_id: str
    inquiry_id: str
    customer_id: str
    channel: str
    at: datetime


@dataclass(frozen=True)
class AnswerInquiry(Action):
    employee_id: str
    inquiry_id: str
    at: datetime


@dataclass(frozen=True)
class FileComplaint(Action):
    employee_id: str
    complaint_id: str
    customer_id: str
    severity: str
    at: datetime


@dataclass(frozen=True)
class ResolveComplaint(Action):
    employee_id: str
    complaint_id: str
    at: datetime


@dataclass(frozen=True)
class OpenDeal(Action):
    employee_id: str
    deal_id: str
    customer_id: str
    expected: Decimal
    at: datetime


@dataclass(frozen=True)
class WinDeal(Action):
    employee_id: str
    deal_id: str
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class LoseDeal(Action):
    employee_id: str
    deal_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class RateService(Action):
    employee_id: str
    rating_id: str
    customer_id: str
    rating: int
    at: datetime


@dataclass(frozen=True)
class DeclareGift(Action):
    employee_id: str
    declaration_id: str
    customer_id: str
    gift: Gift
    at: datetime


@dataclass(frozen=True)
class LogTraining(Action):
    employee_id: str
    kind: str
    title: str
    hours: Decimal
    day: date


@dataclass(frozen=True)
class ObtainCertification(Action):
    employee_id: str
    name: str
    day: date


@dataclass(frozen=True)
class SubmitMarketReport(Action):
    employee_id: str
    topic: str


# The plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    at: datetime
    label: str
    actions: tuple[Action, ...]
    settle_after: bool = False
    """Wait until every event of this moment has reached every consumer before going on."""


@dataclass(frozen=True)
class Expected:
    """A fact kind's count and total value, as the plan means the appraisal to see them."""

    count: int = 0
    total: Decimal = Decimal(0)

    def plus(self, value: Decimal | int = 1) -> Expected:
        return Expected(self.count + 1, self.total + Decimal(value))


@dataclass(frozen=True)
class Plan:
    organisation: Organisation
    calendar: Calendar
    period_id: str
    moments: tuple[Moment, ...]
    expected: dict[str, dict[str, Expected]]
    """Per salesperson, per fact kind: what the appraisal should count in the period."""

    @property
    def action_count(self) -> int:
        return sum(len(moment.actions) for moment in self.moments)


@dataclass(frozen=True)
class Calendar:
    starts_on: date
    ends_on: date
    timezone: str
    holidays: dict[date, str] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def working_days(self) -> list[date]:
        days = (
            self.starts_on + timedelta(n) for n in range((self.ends_on - self.starts_on).days + 1)
        )
        return [day for day in days if self.is_working_day(day)]

    def next_working_day(self, day: date) -> date:
        following = day + timedelta(days=1)
        while not self.is_working_day(following):
            following += timedelta(days=1)
        return following

    def local(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(self.timezone))

    def weeks(self) -> list[tuple[date, date]]:
        """ISO weeks (Monday to Sunday) clipped to the span: the goals' progress periods."""
        periods = []
        start = self.starts_on
        while start <= self.ends_on:
            end = min(start + timedelta(days=6 - start.weekday()), self.ends_on)
            periods.append((start, end))
            start = end + timedelta(days=1)
        return periods


class _Builder:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.moments: dict[datetime, list[Action]] = defaultdict(list)
        self.labels: dict[datetime, str] = {}

    def add(self, at: datetime, *actions: Action, label: str | None = None) -> None:
        self.moments[at].extend(actions)
        if label is not None:
            self.labels[at] = label

    def morning(self, day: date) -> datetime:
        return self.calendar.local(day, 8, 0)

    def mid_morning(self, day: date) -> datetime:
        return self.calendar.local(day, 10, 30)

    def evening(self, day: date) -> datetime:
        return self.calendar.local(day, 19, 30)


def plan_span(
    organisation: Organisation,
    calendar: Calendar,
    *,
    seed: int,
    period_id: str,
) -> Plan:
    """Everything that happens from the day before `calendar.starts_on` until every deadline of
    the span has passed, decided by `seed`."""
    builder = _Builder(calendar)
    days = calendar.working_days()
    if not days:
        raise SpanError("the span has no working day")
    setup = calendar.local(calendar.starts_on - timedelta(days=1), 10, 0)
    final = builder.mid_morning(calendar.next_working_day(calendar.ends_on))
    builder.add(setup, label="setting up the organisation")
    for holiday, name in sorted(calendar.holidays.items()):
        builder.add(setup, DeclareHoliday(holiday, name))
    for team in organisation.teams:
        builder.add(
            setup,
            SetTeamTarget(
                team.team_id,
                organisation.goal_amount * len(team.members),
                calendar.starts_on,
                calendar.ends_on,
            ),
        )
    builder.add(
        setup,
        OpenPeriod(period_id, calendar.starts_on, calendar.ends_on, organisation.timezone),
    )
    for day in days:
        builder.add(builder.morning(day), CloseDays(), label=f"{day:%a %d %b}, morning")
        builder.add(builder.mid_morning(day), SweepReports(), label=f"{day:%a %d %b}, 10:30")
        builder.add(builder.evening(day), SweepOverdue(), label=f"{day:%a %d %b}, evening")
    week_ends = {
        max(d for d in days if start <= d <= end)
        for start, end in calendar.weeks()
        if any(start <= d <= end for d in days)
    }
    for day in sorted(week_ends):
        builder.add(builder.evening(day), SweepStaleRecords())
    builder.add(
        final,
        CloseDays(),
        SweepReports(),
        SweepOverdue(),
        label="after the span: the last deadlines",
    )
    stale_sweeps = len(week_ends)

    punches: dict[tuple[str, date], list[Punch]] = defaultdict(list)
    expected: dict[str, dict[str, Expected]] = {}
    for person in organisation.salespeople:
        assert person.profile is not None and person.supervisor_id is not None
        builder.add(
            setup,
            AssignSchedule(person.employee_id, calendar.starts_on),
            SetGoal(
                person.employee_id, person.team_id, person.supervisor_id, organisation.goal_amount
            ),
        )
        behaviour = _PersonPlan(person, person.profile, calendar, builder, setup, seed)
        behaviour.plan(punches, organisation.goal_amount, stale_sweeps)
        expected[person.employee_id] = dict(behaviour.expected)
    for team in organisation.teams:
        for day in days:
            lines = tuple(
                punch for member in team.members for punch in punches[(member.employee_id, day)]
            )
            if lines:
                builder.add(builder.evening(day), UploadPunches(team.device_id, lines))

    moments = []
    for at in sorted(builder.moments):
        actions = tuple(sorted(builder.moments[at], key=lambda a: a.phase))
        label = builder.labels.get(at, f"{at:%a %d %b %H:%M}")
        moments.append(Moment(at, label, actions, settle_after=at in (setup, final)))
    return Plan(organisation, calendar, period_id, tuple(moments), expected)


class _PersonPlan:
    """One salesperson's span: which days are notable, and the actions and facts that follow."""

    def __init__(
        self,
        person: Person,
        profile: Profile,
        calendar: Calendar,
        builder: _Builder,
        setup: datetime,
        seed: int,
    ) -> None:
        self.person = person
        self.id = person.employee_id
        self.supervisor_id = person.supervisor_id or ""
        self.profile = profile
        self.calendar = calendar
        self.builder = builder
        self.setup = setup
        self.rng = random.Random(f"{seed}:{person.employee_id}")
        self.expected: dict[str, Expected] = defaultdict(Expected)
        self.days = calendar.working_days()

    def count(self, kind: str, value: Decimal | int = 1) -> None:
        self.expected[kind] = self.expected[kind].plus(value)

    def pick(self, pool: Iterable[date], k: int, what: str) -> list[date]:
        candidates = sorted(pool)
        if k > len(candidates):
            raise SpanError(
                f"{self.id} ({self.profile.name}) needs {k} days for {what}, the span offers "
                f"{len(candidates)}"
            )
        return sorted(self.rng.sample(candidates, k))

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return self.calendar.local(day, hour, minute)

    def plan(
        self, punches: dict[tuple[str, date], list[Punch]], goal: Decimal, stale_sweeps: int
    ) -> None:
        profile = self.profile
        leave = self._leave()
        available = [d for d in self.days if d not in leave]
        absent = set(self.pick(available, profile.absent_unexcused, "absences"))
        present = [d for d in available if d not in absent]
        for _ in absent:
            self.count("absence_unexcused")
        self._attendance(present, punches)
        self._daily_reports(present, absent)
        customers = self._customers(present, stale_sweeps)
        won = self._deals(present, customers, goal)
        self._progress(won)
        # Inquiries and complaints are dated by their deadline: none arrives on the span's last
        # working day, so that every deadline falls inside the span.
        serviced = [d for d in present if d != self.days[-1]]
        self._inquiries(serviced, customers)
        self._complaints(serviced, customers)
        self._ratings(present, customers)
        self._development(present)
        self._gifts(present, customers)
        self.count("sales_target", goal)

    def _leave(self) -> set[date]:
        length = self.profile.leave_days
        if not length:
            return set()
        if length > len(self.days):
            raise SpanError(f"{self.id} asks for {length} days of leave in a shorter span")
        first = self.rng.randrange(0, len(self.days) - length + 1)
        block = self.days[first : first + length]
        self.builder.add(self.setup, TakeLeave(self.id, self.supervisor_id, block[0], block[-1]))
        return set(block)

    def _attendance(
        self, present: list[date], punches: dict[tuple[str, date], list[Punch]]
    ) -> None:
        p = self.profile
        kinds = (
            ["late"] * p.late_unexcused
            + ["late-asked-after"] * p.late_asked_after_start
            + ["late-excused"] * p.late_excused
            + ["early"] * p.early_unexcused
            + ["early-excused"] * p.early_excused
        )
        notable_days = self.pick(present, len(kinds), "late arrivals and early departures")
        self.rng.shuffle(kinds)
        notable = dict(zip(notable_days, kinds, strict=True))
        for day in present:
            start = self.at(day, STARTS_AT.hour)
            end = self.at(day, ENDS_AT.hour)
            arrival = start + timedelta(minutes=self.rng.randint(-22, GRACE_MINUTES - 1))
            departure = end + timedelta(minutes=self.rng.randint(0, 40))
            kind = notable.get(day)
            if kind == "late":
                arrival = start + timedelta(minutes=self.rng.randint(12, 75))
                self.count("late_arrival_unexcused")
            elif kind == "late-asked-after":
                arrival = start + timedelta(minutes=self.rng.randint(20, 60))
                self.builder.add(
                    self.builder.mid_morning(day),
                    AskLateArrival(self.id, self.supervisor_id, day, self.at(day, 10, 0)),
                )
                self.count("late_arrival_unexcused")
            elif kind == "late-excused":
                arrival = start + timedelta(minutes=self.rng.randint(30, 60))
                self.builder.add(
                    self.builder.morning(day),
                    AskLateArrival(self.id, self.supervisor_id, day, self.at(day, 10, 0)),
                )
                self.count("late_arrival_excused")
            elif kind == "early":
                departure = end - timedelta(minutes=self.rng.randint(30, 120))
                self.count("early_departure_unexcused")
            elif kind == "early-excused":
                departure = self.at(day, 16, 0) + timedelta(minutes=self.rng.randint(0, 30))
                self.builder.add(
                    self.builder.morning(day),
                    AskEarlyLeave(self.id, self.supervisor_id, day, self.at(day, 16, 0)),
                )
                self.count("early_departure_excused")
            punches[(self.id, day)] += [
                Punch(self.id, "in", arrival),
                Punch(self.id, "out", departure),
            ]

    def _daily_reports(self, present: list[date], absent: set[date]) -> None:
        """R-A2: on time the same evening, late the next working morning, or never (also on
        days of absence); none is due on leave."""
        p = self.profile
        missed = set(self.pick(present, p.reports_missed, "missed reports")) | absent
        late = set(
            self.pick([d for d in present if d not in missed], p.reports_late, "late reports")
        )
        for day in sorted(set(present) | absent):
            if day in missed:
                self.count("daily_report_missed")
            elif day in late:
                following = self.calendar.next_working_day(day)
                self.builder.add(
                    self.builder.mid_morning(following), SubmitDailyReport(self.id, day)
                )
                self.count("daily_report_late")
            else:
                self.builder.add(self.builder.evening(day), SubmitDailyReport(self.id, day))
                self.count("daily_report_on_time")

    def _customers(self, present: list[date], stale_sweeps: int) -> list[str]:
        """R-A5: customers registered before the span (the neglected ones long before, and never
        maintained since); the others get an interaction in the span's last ten working days."""
        p = self.profile
        ids = []
        for number in range(1, p.customers + p.neglected_customers + 1):
            customer_id = f"{self.id}-C{number}"
            neglected = number > p.customers
            registered = self.setup - (NEGLECTED_FOR if neglected else timedelta(minutes=30))
            self.builder.add(
                self.setup, RegisterCustomer(self.id, customer_id, p.profile_fields, registered)
            )
            self.count("record_completeness", p.profile_fields * 10)
            if neglected:
                continue
            ids.append(customer_id)
            recent = [d for d in present if d in self.days[-10:]] or present
            day = self.rng.choice(recent)
            self.builder.add(
                self.builder.evening(day),
                LogInteraction(
                    self.id, customer_id, self.rng.choice(("call", "visit", "email")),
                    self.at(day, self.rng.randint(10, 16), self.rng.randint(0, 59)),
                ),
            )  # fmt: skip
        for _ in range(stale_sweeps if p.neglected_customers else 0):
            self.count("stale_records", p.neglected_customers)
        if not ids:
            raise SpanError(f"{self.id} has no customers to serve")
        return ids

    def _deals(
        self, present: list[date], customers: list[str], goal: Decimal
    ) -> dict[date, Decimal]:
        """R-B1.1: deals opened and later won (adding up to attainment x goal) or lost."""
        p = self.profile
        if len(present) < 2:
            raise SpanError(f"{self.id} is present on fewer than two days: no deal can close")
        won_total = (goal * p.attainment).quantize(Decimal("1"))
        amounts = _split(won_total, p.deals_won if won_total > 0 else 0, self.rng)
        won_on: dict[date, Decimal] = defaultdict(Decimal)
        outcomes: list[Decimal | None] = [*amounts, *([None] * p.deals_lost)]
        for number, amount in enumerate(outcomes, start=1):
            deal_id = f"{self.id}-D{number}"
            opened, closed = sorted(self.rng.sample(present, 2))
            expected = amount if amount is not None else Decimal(self.rng.randrange(20, 60) * 1000)
            customer = self.rng.choice(customers)
            self.builder.add(
                self.builder.evening(opened),
                OpenDeal(self.id, deal_id, customer, expected, self.at(opened, 11, 0)),
            )
            if amount is None:
                reason = self.rng.choice(("price", "competitor", "no_budget", "timing"))
                self.builder.add(
                    self.builder.evening(closed),
                    LoseDeal(self.id, deal_id, reason, self.at(closed, 15, 0)),
                )
                continue
            self.builder.add(
                self.builder.evening(closed),
                WinDeal(self.id, deal_id, amount, self.at(closed, 15, 0)),
            )
            won_on[closed] += amount
            self.count("deal_won", amount)
        return won_on

    def _progress(self, won_on: dict[date, Decimal]) -> None:
        """R-A3, R-B2.4: a progress report per ISO week of the goal, on the week's last working
        evening, late the next working morning after the deadline, or never."""
        p = self.profile
        weeks = self.calendar.weeks()
        if p.progress_missed + p.progress_late > len(weeks):
            raise SpanError(f"{self.id} cannot miss or be late with more reports than weeks")
        chosen = self.rng.sample(range(len(weeks)), p.progress_missed + p.progress_late)
        missed = set(chosen[: p.progress_missed])
        late = set(chosen[p.progress_missed :])
        for index, (start, end) in enumerate(weeks):
            achieved = sum((a for d, a in won_on.items() if start <= d <= end), Decimal(0))
            report = ReportProgress(self.id, start, achieved)
            if index in missed:
                self.count("progress_report_missed")
                continue
            deadline_day = self.calendar.next_working_day(end)
            if index in late:
                self.builder.add(self.builder.mid_morning(deadline_day), report)
                self.count("progress_report_late")
                continue
            working = [d for d in self.days if start <= d <= end]
            when = (
                self.builder.evening(working[-1]) if working else self.builder.morning(deadline_day)
            )
            self.builder.add(when, report)
            self.count("progress_report_on_time")

    def _inquiries(self, present: list[date], customers: list[str]) -> None:
        """R-A4: answered within the hour, or (by phone, four business hours) the next working
        morning, after the overdue sweep has marked it."""
        p = self.profile
        if p.inquiries_late > p.inquiries:
            raise SpanError(f"{self.id} has more late inquiries than inquiries")
        for number in range(1, p.inquiries + 1):
            inquiry_id = f"{self.id}-Q{number}"
            day = self.rng.choice(present)
            late = number <= p.inquiries_late
            channel = "phone" if late else self.rng.choice(("phone", "email", "chat"))
            received = self.at(day, self.rng.randint(10, 15), self.rng.randint(0, 59))
            self.builder.add(
                self.builder.evening(day),
                ReceiveInquiry(self.id, inquiry_id, self.rng.choice(customers), channel, received),
            )
            if late:
                following = self.calendar.next_working_day(day)
                answer = AnswerInquiry(self.id, inquiry_id, self.at(following, 10, 15))
                self.builder.add(self.builder.mid_morning(following), answer)
                self.count("inquiry_answered_late")
            else:
                answered = received + timedelta(minutes=self.rng.randint(10, 80))
                self.builder.add(
                    self.builder.evening(day), AnswerInquiry(self.id, inquiry_id, answered)
                )
                self.count("inquiry_answered_in_time")

    def _complaints(self, present: list[date], customers: list[str]) -> None:
        """R-B3.3: a critical complaint (a business day to resolve it) resolved the same
        afternoon, or a high-severity one (three days) resolved five working days later."""
        p = self.profile
        if p.complaints_late > p.complaints:
            raise SpanError(f"{self.id} has more late complaints than complaints")
        early = [d for d in present if self.days.index(d) + LATE_COMPLAINT_AFTER < len(self.days)]
        late_days = self.pick(early, p.complaints_late, "complaints resolved late")
        other_days = [self.rng.choice(present) for _ in range(p.complaints - p.complaints_late)]
        for number, (day, late) in enumerate(
            [(d, True) for d in late_days] + [(d, False) for d in other_days], start=1
        ):
            complaint_id = f"{self.id}-K{number}"
            filed = self.at(day, 11, 0)
            self.builder.add(
                self.builder.evening(day),
                FileComplaint(self.id, complaint_id, self.rng.choice(customers),
                              "high" if late else "critical", filed),
            )  # fmt: skip
            if late:
                resolved_on = self.days[self.days.index(day) + LATE_COMPLAINT_AFTER]
                self.builder.add(
                    self.builder.evening(resolved_on),
                    ResolveComplaint(self.id, complaint_id, self.at(resolved_on, 16, 0)),
                )
                self.count("complaint_resolved_late")
            else:
                self.builder.add(
                    self.builder.evening(day),
                    ResolveComplaint(self.id, complaint_id, self.at(day, 16, 30)),
                )
                self.count("complaint_resolved_in_time")

    def _ratings(self, present: list[date], customers: list[str]) -> None:
        """R-B4.1: satisfaction ratings from the customer survey (an integration)."""
        for number, rating in enumerate(self.profile.ratings, start=1):
            day = self.rng.choice(present)
            self.builder.add(
                self.builder.evening(day),
                RateService(self.id, f"{self.id}-R{number}", self.rng.choice(customers), rating,
                            self.at(day, 17, self.rng.randint(0, 59))),
            )  # fmt: skip
            self.count("satisfaction_rating", rating)

    def _development(self, present: list[date]) -> None:
        """R-A6, R-B5, R-B2.3: training in two-hour sessions, certifications, market reports."""
        p = self.profile
        remaining = p.training_hours
        session = 0
        while remaining > 0:
            session += 1
            hours = min(TRAINING_SESSION_HOURS, remaining)
            remaining -= hours
            day = self.rng.choice(present)
            kind = ("training", "reading", "mentoring")[session % 3]
            title = f"{TRAINING_TITLES[session % len(TRAINING_TITLES)]} ({session})"
            self.builder.add(
                self.builder.evening(day), LogTraining(self.id, kind, title, hours, day)
            )
            self.count("training_hours", hours)
        for number in range(1, p.certifications + 1):
            day = self.rng.choice(present)
            self.builder.add(
                self.builder.evening(day),
                ObtainCertification(self.id, f"Certified Sales Professional, level {number}", day),
            )
            self.count("certification")
        for number in range(1, p.market_reports + 1):
            day = self.rng.choice(present)
            topic = f"{MARKET_TOPICS[(number + len(self.id)) % len(MARKET_TOPICS)]} ({self.id}-{number})"
            self.builder.add(self.builder.evening(day), SubmitMarketReport(self.id, topic))
            self.count("market_report")

    def _gifts(self, present: list[date], customers: list[str]) -> None:
        """R-B3.2: gifts offered, declined or accepted, declared by the salesperson."""
        for number, gift in enumerate(self.profile.gifts, start=1):
            day = self.rng.choice(present)
            self.builder.add(
                self.builder.evening(day),
                DeclareGift(self.id, f"{self.id}-G{number}", self.rng.choice(customers), gift,
                            self.at(day, 13, 0)),
            )  # fmt: skip
            self.count("gift_accepted" if gift.accepted else "gift_declined")


TRAINING_TITLES = (
    "Consultative selling", "Negotiation skills", "Product deep dive", "Key account planning",
    "Handling objections", "Industry outlook reading", "Mentoring with a senior seller",
)  # fmt: skip
MARKET_TOPICS = (
    "Competitor pricing in the coastal provinces", "Distributor margins this quarter",
    "New entrants in mid-market logistics", "Demand outlook for the next season",
)  # fmt: skip


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """`total` in `parts` whole-yuan amounts that add up to it exactly."""
    if parts <= 0:
        return []
    weights = [rng.randint(2, 5) for _ in range(parts)]
    amounts = [(total * w / sum(weights)).quantize(Decimal("1")) for w in weights[:-1]]
    return [*amounts, total - sum(amounts, Decimal(0))]


def money(amount: Decimal) -> dict[str, str]:
    return {"amount": f"{amount:.2f}", "currency": CURRENCY}
