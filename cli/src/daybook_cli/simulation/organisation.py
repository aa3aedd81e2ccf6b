"""A sample sales organisation: teams of salespeople, their supervisors, an hr account, and how
each salesperson behaves over the simulated span (a `Profile`)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from daybook_shared.contracts.hr import EmployeeHired

Role = Literal["salesperson", "supervisor", "hr"]
TIMEZONE = "Asia/Shanghai"
CURRENCY = "CNY"


@dataclass(frozen=True)
class Gift:
    """A gift or benefit a customer offered (R-B3.2)."""

    kind: Literal["gift", "hospitality", "cash", "voucher", "discount", "other"]
    value: Decimal
    accepted: bool


@dataclass(frozen=True)
class Profile:
    """How one salesperson behaves over the span: how many notable days of each kind (placed on
    days the seed picks), the rest ordinary (on time within the grace minutes, reports on time,
    inquiries answered within the hour, complaints resolved the same day)."""

    name: str
    late_unexcused: int = 0
    """Late beyond the grace minutes without asking (R-A1, R-B3.1)."""
    late_asked_after_start: int = 0
    """Late, asked only after the start: approved, yet not in advance, so not excused (R-A1)."""
    late_excused: int = 0
    """Asked in advance, approved, arrived by the expected time."""
    early_unexcused: int = 0
    early_excused: int = 0
    absent_unexcused: int = 0
    """Neither punched nor reported: an absence without cause and a missed daily report."""
    leave_days: int = 0
    """Consecutive working days of approved annual leave."""
    reports_late: int = 0
    reports_missed: int = 0
    progress_late: int = 0
    progress_missed: int = 0
    attainment: Decimal = Decimal("1.00")
    """Won amount / the goal's target amount (R-B1.1)."""
    deals_won: int = 2
    deals_lost: int = 1
    ratings: tuple[int, ...] = (5, 5, 4)
    inquiries: int = 4
    inquiries_late: int = 0
    complaints: int = 0
    complaints_late: int = 0
    training_hours: Decimal = Decimal("8")
    certifications: int = 0
    market_reports: int = 1
    customers: int = 4
    profile_fields: int = 10
    """Of the ten customer profile fields, how many this person fills in (R-A5)."""
    neglected_customers: int = 0
    """Customers registered long ago and never maintained since: stale records (R-A5)."""
    gifts: tuple[Gift, ...] = ()


@dataclass(frozen=True)
class Person:
    employee_id: str
    name: str
    team_id: str
    role: Role
    supervisor_id: str | None = None
    profile: Profile | None = None


@dataclass(frozen=True)
class Team:
    team_id: str
    name: str
    supervisor: Person
    members: tuple[Person, ...]

    @property
    def device_id(self) -> str:
        """The badge reader at the team's door."""
        return f"door-{self.team_id}"


@dataclass(frozen=True)
class Organisation:
    teams: tuple[Team, ...]
    hr: Person
    hired_on: date
    timezone: str = TIMEZONE
    goal_amount: Decimal = Decimal("100000")
    """Each salesperson's sales goal for the span, in CNY (R-A3)."""

    @property
    def salespeople(self) -> tuple[Person, ...]:
        return tuple(member for team in self.teams for member in team.members)

    @property
    def people(self) -> tuple[Person, ...]:
        return (self.hr, *(team.supervisor for team in self.teams), *self.salespeople)

    def person(self, employee_id: str) -> Person:
        return next(p for p in self.people if p.employee_id == employee_id)

    def team_of(self, person: Person) -> Team:
        return next(team for team in self.teams if team.team_id == person.team_id)

    def hr_events(self) -> list[EmployeeHired]:
        """Everyone's hiring, as the HR system would publish it."""
        return [
            EmployeeHired(
                employee_id=person.employee_id,
                display_name=person.name,
                team_id=person.team_id,
                supervisor_id=person.supervisor_id,
                role=person.role,
                timezone=self.timezone,
                hired_on=self.hired_on,
            )
            for person in self.people
        ]


FIRST_NAMES = (
    "Wei", "Fang", "Lei", "Na", "Jun", "Min", "Tao", "Yan", "Hao", "Jing", "Bo", "Xiu",
    "Qiang", "Li", "Peng", "Hui", "Kai", "Mei", "Long", "Ying", "Gang", "Ling", "Chen", "Dan",
    "Feng", "Juan", "Ming", "Rui", "Song", "Ting", "Xin", "Yu", "Zhen", "Lan", "Hong", "Ping",
)  # fmt: skip
FAMILY_NAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
    "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Luo", "Gao", "Zheng", "Liang", "Xie", "Tang",
)  # fmt: skip
TEAM_NAMES = ("North", "South", "East", "West", "Central", "Coast")


def ordinary_profile(rng: random.Random) -> Profile:
    """Someone doing a decent job, with the odd slip a month brings."""
    return Profile(
        name="ordinary",
        late_unexcused=rng.choice((0, 0, 0, 1, 1, 2)),
        late_excused=rng.choice((0, 0, 1)),
        early_excused=rng.choice((0, 0, 1)),
        leave_days=rng.choice((0, 0, 0, 2, 3)),
        reports_late=rng.choice((0, 0, 1, 1, 2)),
        reports_missed=rng.choice((0, 0, 0, 0, 1)),
        progress_late=rng.choice((0, 0, 0, 1)),
        attainment=Decimal(rng.randrange(70, 121)) / 100,
        deals_won=rng.choice((2, 3)),
        deals_lost=rng.choice((1, 2)),
        ratings=tuple(rng.choice((3, 4, 4, 5, 5)) for _ in range(rng.randrange(3, 6))),
        inquiries=rng.randrange(4, 9),
        inquiries_late=rng.choice((0, 0, 1)),
        complaints=rng.choice((0, 1)),
        training_hours=Decimal(rng.choice((4, 6, 8, 10, 12))),
        market_reports=rng.choice((0, 1, 1, 2)),
        profile_fields=rng.choice((8, 9, 10, 10)),
    )


# The cast: people whose month should end in a reward or in discipline, by team and position.
CAST: dict[tuple[int, int], Profile] = {
    (0, 2): Profile(  # R-A1, R-B3.1: three or more unexcused late arrivals in a period
        name="chronic late-comer",
        late_unexcused=4,
        late_asked_after_start=2,
        reports_late=1,
        attainment=Decimal("0.85"),
        ratings=(4, 4, 3, 4),
        inquiries=6,
        inquiries_late=1,
    ),
    (1, 4): Profile(  # R-B3.2: an accepted voucher worth CNY 600 is a major breach: a pay cut
        name="gift acceptor",
        attainment=Decimal("1.05"),
        ratings=(5, 4, 5),
        gifts=(Gift("voucher", Decimal("600"), accepted=True),),
    ),
    (2, 1): Profile(  # R-A2: three or more daily reports never submitted
        name="sloppy reporter",
        reports_missed=4,
        reports_late=3,
        progress_missed=2,
        attainment=Decimal("0.75"),
        ratings=(4, 3, 4),
        profile_fields=6,
        neglected_customers=2,
    ),
    (0, 6): Profile(  # R-B3.1: absent without cause twice
        name="absentee",
        absent_unexcused=2,
        late_unexcused=1,
        attainment=Decimal("0.80"),
        ratings=(4, 4, 4),
    ),
    (1, 7): Profile(  # R-B4.2, R-B5.2: the star of the month, with a certification
        name="star",
        attainment=Decimal("1.30"),
        deals_won=4,
        ratings=(5, 5, 5, 5, 5),
        inquiries=10,
        complaints=1,
        training_hours=Decimal("12"),
        certifications=1,
        market_reports=2,
        gifts=(Gift("gift", Decimal("300"), accepted=False),),
    ),
    (2, 8): Profile(  # R-A1, R-B3.1: left early without permission three times
        name="early leaver",
        early_unexcused=3,
        attainment=Decimal("0.95"),
        ratings=(4, 5, 4),
    ),
    (2, 5): Profile(  # R-A4, R-B3.3: inquiries answered late, a complaint resolved late
        name="slow responder",
        inquiries=8,
        inquiries_late=5,
        complaints=2,
        complaints_late=1,
        attainment=Decimal("0.90"),
        ratings=(3, 3, 4, 2),
    ),
    (0, 9): Profile(  # R-B4.1: far below target, poor ratings: the poor band
        name="struggling",
        attainment=Decimal("0.20"),
        deals_won=1,
        deals_lost=4,
        ratings=(2, 2, 3, 1),
        inquiries=6,
        inquiries_late=3,
        complaints=2,
        complaints_late=2,
        late_unexcused=2,
        reports_late=4,
        reports_missed=2,
        training_hours=Decimal("2"),
        market_reports=0,
        profile_fields=5,
        neglected_customers=3,
    ),
}


def sample_organisation(
    *, teams: int = 3, team_size: int = 10, seed: int = 7, hired_on: date
) -> Organisation:
    """`teams` teams of `team_size` salespeople each, with a supervisor per team and one hr
    account. Everyone's profile comes from `seed`; the cast of `CAST` takes its positions where
    the organisation is large enough."""
    if not 1 <= teams <= len(TEAM_NAMES):
        raise ValueError(f"teams must be between 1 and {len(TEAM_NAMES)}, not {teams}")
    if not 1 <= team_size <= 99:
        raise ValueError(f"team_size must be between 1 and 99, not {team_size}")
    rng = random.Random(f"organisation:{seed}")
    names = _unique_names(rng, 1 + teams * (team_size + 1))
    hr = Person("H01", next(names), "hr", "hr")
    built = []
    number = 0
    for index in range(teams):
        team_id = f"T{index + 1}"
        supervisor = Person(f"S{index + 1:02d}", next(names), team_id, "supervisor")
        members = []
        for position in range(team_size):
            number += 1
            profile = CAST.get((index, position)) or ordinary_profile(rng)
            members.append(
                Person(
                    f"E{number:03d}",
                    next(names),
                    team_id,
                    "salesperson",
                    supervisor_id=supervisor.employee_id,
                    profile=profile,
                )
            )
        built.append(Team(team_id, TEAM_NAMES[index], supervisor, tuple(members)))
    return Organisation(teams=tuple(built), hr=hr, hired_on=hired_on)


def _unique_names(rng: random.Random, count: int) -> Iterator[str]:
    everyone = [f"{first} {family}" for family in FAMILY_NAMES for first in FIRST_NAMES]
    rng.shuffle(everyone)
    return iter(everyone[:count])


def organisation_of(
    teams: dict[str, tuple[str, list[tuple[str, str, Profile]]]],
    *,
    hired_on: date,
    goal_amount: Decimal = Decimal("100000"),
) -> Organisation:
    """A scripted organisation: `{team_id: (supervisor name, [(id, name, profile), ...])}`."""
    built = []
    for index, (team_id, (supervisor_name, members)) in enumerate(teams.items()):
        supervisor = Person(f"S{index + 1:02d}", supervisor_name, team_id, "supervisor")
        built.append(
            Team(
                team_id,
                team_id,
                supervisor,
                tuple(
                    Person(employee_id, name, team_id, "salesperson", supervisor.employee_id, p)
                    for employee_id, name, p in members
                ),
            )
        )
    hr = Person("H01", "Human Resources", "hr", "hr")
    return replace(
        Organisation(teams=tuple(built), hr=hr, hired_on=hired_on), goal_amount=goal_amount
    )
