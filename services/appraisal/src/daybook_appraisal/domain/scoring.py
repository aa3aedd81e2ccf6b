"""From an employee-period's facts to a scorecard that explains every point (R-B4.1, R-A8).

Arithmetic is exact decimal. Each component's points are its effective weight times its
normalised value, rounded half up to the hundredth; the score is the sum of the rounded points, so
the points a person reads on the scorecard add up to the score they are told.

A part with no data (a ratio over nothing, a mean of nothing) either scores the policy's
`when_no_data` value or is excluded, its share going to the component's other parts; a component
whose parts are all excluded is excluded, its weight going to the other components in proportion.
Nobody is punished or rewarded for what they had no occasion to do, unless the policy says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from daybook_appraisal.domain.facts import KINDS, Fact, FactKind, Quantity
from daybook_appraisal.domain.policy import Component, Mean, Part, Policy, Ratio

HUNDREDTH = Decimal("0.01")
ZERO = Decimal(0)


def points(value: Decimal) -> Decimal:
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IgnoredFact:
    fact: Fact
    reason: str


@dataclass(frozen=True)
class PartScore:
    id: str
    measure: str
    inputs: dict[str, Decimal]
    value: Decimal | None
    normalised: Decimal | None
    share: Decimal
    effective_share: Decimal
    excluded: bool
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class ComponentScore:
    id: str
    title: str
    rule_ids: tuple[str, ...]
    weight: Decimal
    effective_weight: Decimal
    normalised: Decimal | None
    points: Decimal
    excluded: bool
    parts: tuple[PartScore, ...]

    @property
    def value(self) -> Decimal | None:
        """The measured value, for a component of one part (a composite one has none)."""
        return self.parts[0].value if len(self.parts) == 1 else None

    @property
    def facts(self) -> tuple[Fact, ...]:
        seen = {fact.identity: fact for part in self.parts for fact in part.facts}
        return tuple(sorted(seen.values(), key=Fact.order))


@dataclass(frozen=True)
class Scorecard:
    policy_version: str
    score: Decimal
    components: tuple[ComponentScore, ...]
    facts: tuple[Fact, ...]
    ignored: tuple[IgnoredFact, ...]

    def component(self, component_id: str) -> ComponentScore:
        return next(c for c in self.components if c.id == component_id)


def _countable(policy: Policy, facts: list[Fact]) -> tuple[list[Fact], list[IgnoredFact]]:
    """Money in another currency than the policy's cannot be compared, so it does not count."""
    kept: list[Fact] = []
    ignored: list[IgnoredFact] = []
    for fact in facts:
        if KINDS[fact.kind].quantity is Quantity.MONEY and fact.unit != policy.currency:
            ignored.append(
                IgnoredFact(fact, f"amount in {fact.unit}, the policy counts {policy.currency}")
            )
        else:
            kept.append(fact)
    return kept, ignored


def _weighted(facts: list[Fact], terms: dict[FactKind, Decimal]) -> tuple[Decimal, list[Fact]]:
    used = [fact for fact in facts if fact.kind in terms]
    return sum((terms[fact.kind] * fact.value for fact in used), ZERO), used


def _measure(
    part: Part, facts: list[Fact]
) -> tuple[dict[str, Decimal], Decimal | None, list[Fact]]:
    measure = part.measure
    if isinstance(measure, Ratio):
        numerator, top = _weighted(facts, measure.numerator)
        denominator, bottom = _weighted(facts, measure.denominator)
        either = {fact.identity: fact for fact in top + bottom}
        value = numerator / denominator if denominator else None
        return (
            {"numerator": numerator, "denominator": denominator},
            value,
            sorted(either.values(), key=Fact.order),
        )
    if isinstance(measure, Mean):
        rated = [fact for fact in facts if fact.kind in measure.of]
        total = sum((fact.value for fact in rated), ZERO)
        count = Decimal(len(rated))
        return {"sum": total, "count": count}, (total / count if rated else None), rated
    total, summed = _weighted(facts, measure.of)
    return {"total": total}, total, summed


def _score_part(part: Part, facts: list[Fact]) -> PartScore:
    inputs, value, used = _measure(part, facts)
    if value is not None:
        normalised: Decimal | None = part.normalise.normalise(value)
    elif part.when_no_data == "exclude":
        normalised = None
    else:
        normalised = Decimal(part.when_no_data)
    return PartScore(
        id=part.id,
        measure=part.measure.kind,
        inputs=inputs,
        value=value,
        normalised=normalised,
        share=part.share,
        effective_share=ZERO,
        excluded=normalised is None,
        facts=tuple(used),
    )


def _score_component(component: Component, facts: list[Fact]) -> ComponentScore:
    parts = [_score_part(part, facts) for part in component.all_parts()]
    included = sum((p.share for p in parts if not p.excluded), ZERO)
    shared = tuple(
        replace(p, effective_share=ZERO if p.excluded else p.share / included) for p in parts
    )
    normalised = (
        sum((p.effective_share * p.normalised for p in shared if p.normalised is not None), ZERO)
        if included
        else None
    )
    return ComponentScore(
        id=component.id,
        title=component.title,
        rule_ids=component.rule_ids,
        weight=component.weight,
        effective_weight=ZERO,
        normalised=normalised,
        points=ZERO,
        excluded=normalised is None,
        parts=shared,
    )


def score(policy: Policy, facts: list[Fact]) -> Scorecard:
    """Score the facts a period counts (see `facts_in`) under the policy."""
    countable, ignored = _countable(policy, facts)
    drafts = [_score_component(component, countable) for component in policy.components]
    included = sum((c.weight for c in drafts if not c.excluded), ZERO)
    components = []
    for draft in drafts:
        if draft.excluded or draft.normalised is None:
            components.append(draft)
            continue
        effective = draft.weight * 100 / included
        components.append(
            replace(draft, effective_weight=effective, points=points(effective * draft.normalised))
        )
    return Scorecard(
        policy_version=policy.policy_version,
        score=sum((c.points for c in components), ZERO).quantize(HUNDREDTH),
        components=tuple(components),
        facts=tuple(facts),
        ignored=tuple(ignored),
    )
