"""From a scorecard and an employee's record to outcomes: band, rewards, promotion eligibility and
disciplinary actions, each with the rule ids and events behind it (R-B4.2, R-B4.3, R-B5.3).

Everything here is a function of its inputs: the same facts, record and policy always give the
same outcomes with the same ids, which is what makes a period close safe to run twice and a
what-if comparison honest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from daybook_appraisal.domain.facts import Fact, FactKind, Window, distinct, facts_in
from daybook_appraisal.domain.policy import Band, Level, Policy
from daybook_appraisal.domain.scoring import Scorecard, score
from daybook_shared.kit.ids import derived_id

SEVERITY_ORDER: tuple[Level, ...] = ("warning", "pay_cut", "dismissal_recommendation")


@dataclass(frozen=True)
class Period:
    period_id: str
    window: Window


@dataclass(frozen=True)
class PastAppraisal:
    period_id: str
    window: Window
    band: str
    score: Decimal
    event_id: UUID


@dataclass(frozen=True)
class PastAction:
    action_id: UUID
    level: Level
    incident_at: datetime
    policy_rule_id: str
    causing_event_ids: frozenset[UUID]
    overturned: bool = False


@dataclass(frozen=True)
class History:
    """What the appraisal itself recorded about an employee before this period's close."""

    appraisals: tuple[PastAppraisal, ...] = ()
    actions: tuple[PastAction, ...] = ()

    def before(self, window: Window) -> list[PastAppraisal]:
        """Earlier appraisals, most recent first."""
        earlier = [a for a in self.appraisals if a.window.ends_on < window.starts_on]
        return sorted(earlier, key=lambda a: a.window.ends_on, reverse=True)

    def cited_event_ids(self) -> frozenset[UUID]:
        return frozenset(
            event_id for action in self.actions for event_id in action.causing_event_ids
        )


@dataclass(frozen=True)
class Promotion:
    eligible: bool
    rule_ids: tuple[str, ...]
    streak_period_ids: tuple[str, ...]
    certification_event_ids: tuple[UUID, ...]
    reason: str


@dataclass(frozen=True)
class Reward:
    reward_id: UUID
    band: str
    bonus_share: Decimal
    bonus_amount: Decimal
    currency: str
    salary_adjustment: Decimal
    commendation: bool
    promotion: Promotion | None
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class Action:
    action_id: UUID
    level: Level
    rule_level: Level
    policy_rule_id: str
    rule_ids: tuple[str, ...]
    incident_at: datetime
    causing_event_ids: tuple[UUID, ...]
    standing_prior_action_ids: tuple[UUID, ...]
    pay_cut_share: Decimal | None
    reason: str


@dataclass(frozen=True)
class Appraisal:
    appraisal_id: UUID
    employee_id: str
    period: Period
    scorecard: Scorecard
    band: Band
    reward: Reward | None
    promotion: Promotion | None
    actions: tuple[Action, ...]
    considered: tuple[Fact, ...]
    """The facts this appraisal read: the period's, the certifications its promotion check
    counted and the conduct facts it disciplined. Appraising these again under the same policy
    and record gives the same outcome (what a what-if relies on)."""


def appraisal_id(period_id: str, employee_id: str) -> UUID:
    return derived_id("appraisal", "AppraisalFinalized", period_id, employee_id)


def lookback(policy: Policy, window: Window, history: History) -> date:
    """The first date whose facts an appraisal reads: certifications count over several periods."""
    if policy.promotion is None:
        return window.starts_on
    earlier = history.before(window)[: policy.promotion.certifications.within_periods - 1]
    return min([window.starts_on, *(a.window.starts_on for a in earlier)])


def appraise(
    policy: Policy,
    period: Period,
    employee_id: str,
    tz: ZoneInfo,
    facts: list[Fact] | tuple[Fact, ...],
    history: History,
) -> Appraisal:
    """Score the period and decide its outcomes.

    `facts` may reach beyond the period: certifications back to `lookback`, and conduct facts of
    any earlier date that no action has cited yet (a breach reported after its period closed is
    disciplined at the next close, never forgiven).
    """
    everything = distinct(list(facts))
    counted = facts_in(everything, period.window, tz)
    card = score(policy, counted)
    band = policy.band_for(card.score)
    this_id = appraisal_id(period.period_id, employee_id)
    promotion = _promotion(policy, period, band, everything, history, tz)
    reward = _reward(policy, period, employee_id, band, promotion)
    actions = _discipline(
        policy, period, employee_id, tz, counted, everything, band, history, this_id
    )
    cited = {event_id for action in actions for event_id in action.causing_event_ids}
    certified = set(promotion.certification_event_ids) if promotion else set()
    considered = distinct(
        counted + [fact for fact in everything if fact.event_id in cited | certified]
    )
    return Appraisal(
        this_id, employee_id, period, card, band, reward, promotion, actions, tuple(considered)
    )


def _promotion(
    policy: Policy,
    period: Period,
    band: Band,
    facts: list[Fact],
    history: History,
    tz: ZoneInfo,
) -> Promotion | None:
    """R-B5.3: promotion by sustained performance and potential (certifications)."""
    rule = policy.promotion
    if rule is None:
        return None
    earlier = history.before(period.window)
    streak = [period.period_id]
    for past in earlier[: rule.consecutive_periods - 1]:
        if past.band != rule.band:
            break
        streak.append(past.period_id)
    span = Window(lookback(policy, period.window, history), period.window.ends_on)
    certifications = [
        fact
        for fact in facts
        if fact.kind is FactKind.CERTIFICATION and span.includes(fact.business_date(tz))
    ]
    in_band = band.id == rule.band
    long_enough = in_band and len(streak) >= rule.consecutive_periods
    certified = len(certifications) >= rule.certifications.at_least
    if not in_band:
        reason = f"band {band.id}, promotion needs {rule.band}"
    elif not long_enough:
        reason = (
            f"{len(streak)} period(s) in a row in {rule.band}, promotion needs "
            f"{rule.consecutive_periods}"
        )
    elif not certified:
        reason = (
            f"{len(certifications)} certification(s) since {span.starts_on}, promotion "
            f"needs {rule.certifications.at_least}"
        )
    else:
        reason = (
            f"{len(streak)} period(s) in a row in {rule.band} and "
            f"{len(certifications)} certification(s) since {span.starts_on}"
        )
    return Promotion(
        eligible=long_enough and certified,
        rule_ids=rule.rule_ids,
        streak_period_ids=tuple(reversed(streak)),
        certification_event_ids=tuple(fact.event_id for fact in certifications),
        reason=reason,
    )


def _reward(
    policy: Policy, period: Period, employee_id: str, band: Band, promotion: Promotion | None
) -> Reward | None:
    """R-B4.2: the band's bonus, salary adjustment and commendation, and promotion eligibility."""
    eligible = promotion is not None and promotion.eligible
    if not band.rewards.any() and not eligible:
        return None
    rule_ids = ("R-B4.2", *(promotion.rule_ids if eligible and promotion else ()))
    return Reward(
        reward_id=derived_id("appraisal", "RewardGranted", period.period_id, employee_id),
        band=band.id,
        bonus_share=band.rewards.bonus_share,
        bonus_amount=(policy.bonus_base * band.rewards.bonus_share).quantize(Decimal("0.01")),
        currency=policy.currency,
        salary_adjustment=band.rewards.salary_adjustment,
        commendation=band.rewards.commendation,
        promotion=promotion if eligible else None,
        rule_ids=tuple(dict.fromkeys(rule_ids)),
    )


@dataclass(frozen=True)
class _Trigger:
    identity: tuple[str, ...]
    policy_rule_id: str
    rule_ids: tuple[str, ...]
    level: Level
    incident_at: datetime
    causing_event_ids: tuple[UUID, ...]
    reason: str


def _triggers(
    policy: Policy,
    period: Period,
    tz: ZoneInfo,
    counted: list[Fact],
    everything: list[Fact],
    band: Band,
    history: History,
    this_id: UUID,
) -> list[_Trigger]:
    rules = policy.discipline
    found: list[_Trigger] = []
    for rule in rules.thresholds:
        matching = [fact for fact in counted if fact.kind in rule.counts]
        if len(matching) >= rule.at_least:
            kinds = ", ".join(rule.counts)
            found.append(
                _Trigger(
                    identity=("threshold", rule.id, period.period_id),
                    policy_rule_id=rule.id,
                    rule_ids=rule.rule_ids,
                    level=rule.level,
                    incident_at=matching[rule.at_least - 1].occurred_at,
                    causing_event_ids=tuple(fact.event_id for fact in matching),
                    reason=f"{len(matching)} x {kinds} in period {period.period_id}; "
                    f"the policy acts at {rule.at_least}",
                )
            )
    earlier = history.before(period.window)
    for poor in rules.poor_performance:
        run = [this_id]
        for past in earlier[: poor.consecutive_periods - 1]:
            if past.band not in poor.bands:
                break
            run.append(past.event_id)
        if band.id in poor.bands and len(run) >= poor.consecutive_periods:
            found.append(
                _Trigger(
                    identity=("poor", poor.id, period.period_id),
                    policy_rule_id=poor.id,
                    rule_ids=poor.rule_ids,
                    level=poor.level,
                    incident_at=period.window.end_instant(tz),
                    causing_event_ids=tuple(reversed(run)),
                    reason=f"band {band.id} for {len(run)} period(s) in a row",
                )
            )
    cited = history.cited_event_ids()
    for conduct in rules.conduct:
        for fact in everything:
            if (
                fact.kind is conduct.fact
                and fact.event_id not in cited
                and fact.business_date(tz) <= period.window.ends_on
            ):
                level = conduct.level_for(fact.grade)
                severity = f" of {fact.grade} severity" if fact.grade else ""
                found.append(
                    _Trigger(
                        identity=("conduct", conduct.id, str(fact.event_id)),
                        policy_rule_id=conduct.id,
                        rule_ids=conduct.rule_ids,
                        level=level,
                        incident_at=fact.occurred_at,
                        causing_event_ids=(fact.event_id,),
                        reason=f"{fact.kind.value}{severity} on {fact.business_date(tz)}",
                    )
                )
    return sorted(found, key=lambda t: (t.incident_at, t.policy_rule_id, t.identity))


def _discipline(
    policy: Policy,
    period: Period,
    employee_id: str,
    tz: ZoneInfo,
    counted: list[Fact],
    everything: list[Fact],
    band: Band,
    history: History,
    this_id: UUID,
) -> tuple[Action, ...]:
    """R-B4.3: each trigger becomes an action at its rule's level, lifted one step above the
    highest action still standing within the escalation window (an overturned one does not
    stand), up to the top of the ladder."""
    rules = policy.discipline
    window = timedelta(days=rules.escalation_window_days)
    standing = [(a.action_id, a.level, a.incident_at) for a in history.actions if not a.overturned]
    actions: list[Action] = []
    for trigger in _triggers(policy, period, tz, counted, everything, band, history, this_id):
        prior = [
            (action_id, level, at)
            for action_id, level, at in standing
            if trigger.incident_at - window < at <= trigger.incident_at
        ]
        highest = max((_rank(policy, level) for _, level, _ in prior), default=-1)
        rank = max(rules.rank(trigger.level), min(highest + 1, len(rules.ladder) - 1))
        level = rules.ladder[rank]
        escalation = ""
        if rank > rules.rank(trigger.level):
            escalation = (
                f"; raised from {trigger.level} to {level} by "
                f"{len(prior)} standing action(s) in the last "
                f"{rules.escalation_window_days} days"
            )
        action = Action(
            action_id=derived_id(
                "appraisal", "DisciplinaryActionIssued", employee_id, *trigger.identity
            ),
            level=level,
            rule_level=trigger.level,
            policy_rule_id=trigger.policy_rule_id,
            rule_ids=tuple(dict.fromkeys((*trigger.rule_ids, "R-B4.3"))),
            incident_at=trigger.incident_at,
            causing_event_ids=trigger.causing_event_ids,
            standing_prior_action_ids=tuple(action_id for action_id, _, _ in prior),
            pay_cut_share=rules.pay_cut_share if level == "pay_cut" else None,
            reason=trigger.reason + escalation,
        )
        actions.append(action)
        standing.append((action.action_id, action.level, action.incident_at))
    return tuple(actions)


def _rank(policy: Policy, level: Level) -> int:
    """A level's step on this policy's ladder; a level the ladder lacks (the policy changed since
    it was issued) counts as the highest step no more severe than it."""
    ladder = policy.discipline.ladder
    if level in ladder:
        return ladder.index(level)
    severity = SEVERITY_ORDER.index(level)
    milder = [i for i, step in enumerate(ladder) if SEVERITY_ORDER.index(step) <= severity]
    return max(milder, default=-1)
