"""What-if: a closed period's history scored under a candidate policy, beside what was issued.

Because every fact is an event, a new policy can be tried on the past before it is adopted (R-A8).
Nothing here records anything: the comparison is an answer, not an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from daybook_appraisal.domain.facts import Fact
from daybook_appraisal.domain.model import EmployeeRecord
from daybook_appraisal.domain.outcomes import Appraisal, Period, appraise
from daybook_appraisal.domain.policy import Policy


@dataclass(frozen=True)
class OutcomeSummary:
    policy_version: str
    score: Decimal
    band: str
    points: dict[str, Decimal]
    bonus_share: Decimal
    salary_adjustment: Decimal
    commendation: bool
    promotion_eligible: bool
    actions: tuple[tuple[str, str], ...]
    """(level, policy rule id) of each disciplinary action, in the order issued."""


@dataclass(frozen=True)
class Comparison:
    employee_id: str
    current: OutcomeSummary
    candidate: OutcomeSummary

    @property
    def band_changed(self) -> bool:
        return self.current.band != self.candidate.band

    @property
    def changed(self) -> bool:
        """Anything a person would notice: score, points, band, rewards or discipline."""
        return _substance(self.current) != _substance(self.candidate)


def _substance(summary: OutcomeSummary) -> tuple[object, ...]:
    return (
        summary.score,
        summary.band,
        summary.points,
        summary.bonus_share,
        summary.salary_adjustment,
        summary.commendation,
        summary.promotion_eligible,
        summary.actions,
    )


def summarise(appraisal: Appraisal, policy: Policy) -> OutcomeSummary:
    reward = appraisal.reward
    return OutcomeSummary(
        policy_version=policy.policy_version,
        score=appraisal.scorecard.score,
        band=appraisal.band.id,
        points={c.id: c.points for c in appraisal.scorecard.components},
        bonus_share=reward.bonus_share if reward else Decimal(0),
        salary_adjustment=reward.salary_adjustment if reward else Decimal(0),
        commendation=reward.commendation if reward else False,
        promotion_eligible=bool(reward and reward.promotion),
        actions=tuple((a.level, a.policy_rule_id) for a in appraisal.actions),
    )


def what_if(
    current: Policy,
    candidate: Policy,
    period: Period,
    employee_id: str,
    tz: ZoneInfo,
    facts: tuple[Fact, ...],
    record: EmployeeRecord,
) -> Comparison:
    """Score the facts the close considered, with the record as the close saw it, under the
    period's pinned policy and under the candidate."""
    history = record.history()
    return Comparison(
        employee_id=employee_id,
        current=summarise(appraise(current, period, employee_id, tz, facts, history), current),
        candidate=summarise(
            appraise(candidate, period, employee_id, tz, facts, history), candidate
        ),
    )
