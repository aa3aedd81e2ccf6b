"""The appraisal policy as data (R-A8): components, bands, rewards, promotion and discipline.

An organisation changes its incentive and constraint mechanism by editing a versioned YAML file,
never the code. `load_policy` reads the text and checks it completely before anything uses it;
every problem names the line, the field and what is wrong, so the person editing the file can fix
it without reading this module.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    field_validator,
)

from daybook_appraisal.domain.facts import KINDS, FactKind, Quantity

KNOWN_RULE_IDS = frozenset(
    [f"R-A{n}" for n in range(1, 9)]
    + ["R-B1.1", "R-B1.2", "R-B1.3", "R-B2.1", "R-B2.2", "R-B2.3", "R-B2.4"]
    + ["R-B3.1", "R-B3.2", "R-B3.3", "R-B3.4", "R-B4.1", "R-B4.2", "R-B4.3"]
    + ["R-B5.1", "R-B5.2", "R-B5.3", "R-B6"]
)
"""Every rule id of POLICY.md, so a policy cannot cite a rule the regulation does not have."""

Level = Literal["warning", "pay_cut", "dismissal_recommendation"]
Role = Literal["salesperson", "supervisor", "hr"]
Severity = Literal["minor", "major", "serious"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Share = Annotated[Decimal, Field(ge=0, le=1)]
Weight = Annotated[Decimal, Field(gt=0, le=100)]
Coefficient = Annotated[Decimal, Field(gt=0)]


def _known_rule(rule_id: str) -> str:
    if rule_id not in KNOWN_RULE_IDS:
        raise ValueError(f"{rule_id!r} is not a rule of POLICY.md (for example R-A1, R-B4.3)")
    return rule_id


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


RuleIds = Annotated[tuple[str, ...], Field(min_length=1)]


class _Cites(_Model):
    rule_ids: RuleIds

    @field_validator("rule_ids")
    @classmethod
    def _rules_exist(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_known_rule(rule_id) for rule_id in value)


class Linear(_Model):
    """Maps a measured value onto 0..1: `worst` scores nothing, `best` scores in full, in between
    proportionally, beyond either end clamped. `worst` above `best` means less is better."""

    worst: Decimal
    best: Decimal

    def normalise(self, value: Decimal) -> Decimal:
        share = (value - self.worst) / (self.best - self.worst)
        return min(Decimal(1), max(Decimal(0), share))


class Ratio(_Model):
    """Σ numerator / Σ denominator, each a weighted sum of fact values. No data when the
    denominator is nothing."""

    kind: Literal["ratio"]
    numerator: dict[FactKind, Coefficient] = Field(min_length=1)
    denominator: dict[FactKind, Coefficient] = Field(min_length=1)


class Mean(_Model):
    """The average value of the facts of these kinds. No data when there are none."""

    kind: Literal["mean"]
    of: tuple[FactKind, ...] = Field(min_length=1)


class Total(_Model):
    """A weighted sum of fact values; zero facts is a measurement of zero, never no data."""

    kind: Literal["total"]
    of: dict[FactKind, Coefficient] = Field(min_length=1)


Measure = Annotated[Ratio | Mean | Total, Field(discriminator="kind")]


def _no_data(value: object) -> Decimal | str:
    if value == "exclude":
        return "exclude"
    if isinstance(value, int | Decimal) and not isinstance(value, bool) and 0 <= value <= 1:
        return Decimal(value)
    raise ValueError(f"expected a number from 0 to 1, or exclude; got {value!r}")


NoData = Annotated[Decimal | str, PlainValidator(_no_data)]
"""What a measure with nothing to measure scores: a share from 0 to 1, or `exclude`."""


class Part(_Model):
    id: Slug
    measure: Measure
    normalise: Linear
    share: Annotated[Decimal, Field(gt=0, le=1)] = Decimal(1)
    when_no_data: NoData = "exclude"


class Component(_Cites):
    """One indicator of the score: `weight` points out of 100, earned by its part or parts.

    A simple component states `measure`, `normalise` and `when_no_data` itself; a composite one
    lists `parts`, each with a `share` of the component.
    """

    id: Slug
    title: Title
    weight: Weight
    measure: Measure | None = None
    normalise: Linear | None = None
    when_no_data: NoData = "exclude"
    parts: tuple[Part, ...] | None = None

    def all_parts(self) -> tuple[Part, ...]:
        if self.parts is not None:
            return self.parts
        assert self.measure is not None and self.normalise is not None
        return (
            Part(
                id=self.id,
                measure=self.measure,
                normalise=self.normalise,
                when_no_data=self.when_no_data,
            ),
        )


class Rewards(_Model):
    bonus_share: Share = Decimal(0)
    salary_adjustment: Share = Decimal(0)
    commendation: bool = False

    def any(self) -> bool:
        return bool(self.bonus_share or self.salary_adjustment or self.commendation)


class Band(_Model):
    id: Slug
    title: Title
    min_score: Annotated[Decimal, Field(ge=0, le=100)]
    rewards: Rewards = Rewards()


class CertificationRequirement(_Model):
    at_least: Annotated[int, Field(ge=0)]
    within_periods: Annotated[int, Field(ge=1)]


class Promotion(_Cites):
    """Eligibility for promotion (R-B5.3): `consecutive_periods` in a row in `band`, with enough
    certifications obtained within the last `within_periods` periods."""

    band: Slug
    consecutive_periods: Annotated[int, Field(ge=1)]
    certifications: CertificationRequirement


class Threshold(_Cites):
    """Discipline when, within one period, the facts of these kinds reach `at_least`."""

    id: Slug
    title: Title
    counts: tuple[FactKind, ...] = Field(min_length=1)
    at_least: Annotated[int, Field(ge=1)]
    level: Level = "warning"


class PoorPerformance(_Cites):
    """Discipline when the band is one of `bands` for `consecutive_periods` periods in a row."""

    id: Slug
    title: Title
    bands: tuple[Slug, ...] = Field(min_length=1)
    consecutive_periods: Annotated[int, Field(ge=1)]
    level: Level = "warning"


class ConductRule(_Cites):
    """Discipline for each conduct fact, straight at the level its severity sets (or `level`)."""

    id: Slug
    title: Title
    fact: FactKind
    level: Level
    by_severity: dict[Severity, Level] = Field(default_factory=dict)

    def level_for(self, severity: str | None) -> Level:
        if severity is not None and severity in self.by_severity:
            return self.by_severity[severity]
        return self.level


class Discipline(_Model):
    """The measures of R-B4.3, mildest first, and the rules that lead to them.

    A new action starts at its rule's level; an action still standing (not overturned on
    appeal) within the last `escalation_window_days` lifts it one step above the highest such
    action, up to the top of the ladder.
    """

    ladder: tuple[Level, ...] = Field(min_length=1)
    escalation_window_days: Annotated[int, Field(ge=1, le=3660)]
    pay_cut_share: Share
    thresholds: tuple[Threshold, ...] = ()
    poor_performance: tuple[PoorPerformance, ...] = ()
    conduct: tuple[ConductRule, ...] = ()

    def rank(self, level: Level) -> int:
        return self.ladder.index(level)


class Policy(_Model):
    policy_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    title: Title
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    bonus_base: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)]
    appraised_roles: tuple[Role, ...] = Field(min_length=1)
    components: tuple[Component, ...] = Field(min_length=1)
    bands: tuple[Band, ...] = Field(min_length=1)
    promotion: Promotion | None = None
    discipline: Discipline

    def band(self, band_id: str) -> Band:
        return next(band for band in self.bands if band.id == band_id)

    def band_for(self, score: Decimal) -> Band:
        """Bands are listed best first; the first whose floor the score reaches."""
        return next(band for band in self.bands if score >= band.min_score)

    def conduct_kinds(self) -> frozenset[FactKind]:
        return frozenset(rule.fact for rule in self.discipline.conduct)


@dataclass(frozen=True)
class LoadedPolicy:
    """A policy with the exact text it came from and that text's digest (pinned at period open)."""

    policy: Policy
    text: str
    sha256: str

    @property
    def version(self) -> str:
        return self.policy.policy_version


@dataclass(frozen=True)
class PolicyProblem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class PolicyError(ValueError):
    """A policy file that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[PolicyProblem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line, p.field))
        super().__init__(f"{source}: invalid policy\n" + "\n".join(f"  {p}" for p in self.problems))


Path = tuple[str | int, ...]


def _field_name(path: Path) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "(document)"


class _Loader(yaml.SafeLoader):
    """Safe YAML where every number with a point or exponent is read as an exact Decimal."""


def _decimal(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a finite number", node.start_mark
        ) from None
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a finite number", node.start_mark
        )
    return value


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


@dataclass
class _Map:
    """Where each field of the document sits: its line, and whether it holds a mapping."""

    lines: dict[Path, int]
    mappings: set[Path]

    def line_of(self, path: Path) -> int:
        """The line of the path, or of its nearest ancestor when the field is missing."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def document_path(self, loc: tuple[Any, ...]) -> Path:
        """Pydantic's error location as a path in the document.

        Pydantic adds steps of its own (the branch of a union: `ratio`, `decimal`, `[key]`); a
        step is kept when the document has it, or when it is the last one and names a field
        missing from a mapping.
        """
        path: Path = ()
        for position, step in enumerate(loc):
            candidate = (*path, step)
            last = position == len(loc) - 1
            if candidate in self.lines or (last and path in self.mappings):
                path = candidate
        return path


def _survey(node: yaml.Node, path: Path, where: _Map, problems: list[PolicyProblem]) -> None:
    """Record the line of every key and item, and refuse duplicate keys (YAML keeps the last)."""
    where.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        where.mappings.add(path)
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            if key in seen:
                problems.append(
                    PolicyProblem(
                        key_node.start_mark.line + 1,
                        _field_name(child),
                        "appears twice; say it once",
                    )
                )
            seen.add(key)
            where.lines[child] = key_node.start_mark.line + 1
            _survey(value_node, child, where, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _survey(item, (*path, index), where, problems)


def load_policy(text: str, source: str = "policy") -> LoadedPolicy:
    """Read and check a policy document; raise `PolicyError` naming each problem's line and
    field."""
    problems: list[PolicyProblem] = []
    where = _Map({}, set())
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                raise PolicyError(source, [PolicyProblem(1, "(document)", "the file is empty")])
            _survey(root, (), where, problems)
            data = loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise PolicyError(source, [PolicyProblem(line, "(syntax)", str(error.problem))]) from None
    if problems:
        raise PolicyError(source, problems)
    if not isinstance(data, dict):
        raise PolicyError(source, [PolicyProblem(1, "(document)", "expected a mapping of fields")])
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        for item in error.errors(include_url=False):
            path = where.document_path(item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            problems.append(PolicyProblem(where.line_of(path), _field_name(path), message))
        raise PolicyError(source, problems) from None
    problems = [
        PolicyProblem(where.line_of(path), _field_name(path), message)
        for path, message in _coherence(policy)
    ]
    if problems:
        raise PolicyError(source, problems)
    return LoadedPolicy(policy, text, hashlib.sha256(text.encode()).hexdigest())


def _duplicates(ids: list[str]) -> set[str]:
    return {item for item in ids if ids.count(item) > 1}


def _coherence(policy: Policy) -> list[tuple[Path, str]]:
    """Checks across fields that a single field's type cannot express."""
    found: list[tuple[Path, str]] = []
    total = sum((component.weight for component in policy.components), Decimal(0))
    if total != 100:
        listed = ", ".join(f"{c.id} {c.weight}" for c in policy.components)
        found.append(
            (("components",), f"weights must add up to 100, they add up to {total} ({listed})")
        )
    for dup in _duplicates([c.id for c in policy.components]):
        found.append((("components",), f"component id {dup!r} is used twice"))
    for index, component in enumerate(policy.components):
        found.extend(_component_problems(("components", index), component))

    band_ids = [band.id for band in policy.bands]
    for dup in _duplicates(band_ids):
        found.append((("bands",), f"band id {dup!r} is used twice"))
    for index in range(1, len(policy.bands)):
        if policy.bands[index].min_score >= policy.bands[index - 1].min_score:
            found.append(
                (
                    ("bands", index, "min_score"),
                    "bands are listed best first: each min_score must be below the one before it",
                )
            )
    if policy.bands[-1].min_score != 0:
        found.append(
            (
                ("bands", len(policy.bands) - 1, "min_score"),
                "the last band must start at 0 so that every score has a band",
            )
        )

    if policy.promotion is not None and policy.promotion.band not in band_ids:
        found.append((("promotion", "band"), f"no band {policy.promotion.band!r} in bands"))

    discipline = policy.discipline
    for dup in _duplicates(list(discipline.ladder)):
        found.append((("discipline", "ladder"), f"level {dup!r} appears twice"))
    rules: list[Threshold | PoorPerformance | ConductRule] = [
        *discipline.thresholds,
        *discipline.poor_performance,
        *discipline.conduct,
    ]
    rule_ids = [rule.id for rule in rules]
    for dup in _duplicates(rule_ids):
        found.append((("discipline",), f"discipline rule id {dup!r} is used twice"))
    for group in ("thresholds", "poor_performance", "conduct"):
        for index, rule in enumerate(getattr(discipline, group)):
            levels: list[tuple[Path, str]] = [(("level",), rule.level)]
            if isinstance(rule, ConductRule):
                levels += [(("by_severity", key), level) for key, level in rule.by_severity.items()]
            for step, level in levels:
                if level not in discipline.ladder:
                    found.append(
                        (
                            ("discipline", group, index, *step),
                            f"level {level!r} is not on the ladder {list(discipline.ladder)}",
                        )
                    )
            if isinstance(rule, PoorPerformance):
                for band_index, band in enumerate(rule.bands):
                    if band not in band_ids:
                        found.append(
                            (
                                ("discipline", group, index, "bands", band_index),
                                f"no band {band!r} in bands",
                            )
                        )
    return found


def _component_problems(at: Path, component: Component) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    simple = component.measure is not None or component.normalise is not None
    if component.parts is not None and simple:
        found.append((at, "give either parts, or measure and normalise, not both"))
        return found
    if component.parts is None:
        for name in ("measure", "normalise"):
            if getattr(component, name) is None:
                found.append(((*at, name), "field required (or list parts instead)"))
        if found:
            return found
        found.extend(_part_problems(at, component.all_parts()[0]))
        return found
    for dup in _duplicates([part.id for part in component.parts]):
        found.append(((*at, "parts"), f"part id {dup!r} is used twice"))
    shares = sum((part.share for part in component.parts), Decimal(0))
    if shares != 1:
        found.append(((*at, "parts"), f"part shares must add up to 1, they add up to {shares}"))
    for index, part in enumerate(component.parts):
        found.extend(_part_problems((*at, "parts", index), part))
    return found


def _part_problems(at: Path, part: Part) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    if part.normalise.worst == part.normalise.best:
        found.append(((*at, "normalise"), "worst and best must differ"))
    measure = part.measure
    kinds = (
        [*measure.numerator, *measure.denominator]
        if isinstance(measure, Ratio)
        else list(measure.of)
    )
    if FactKind.VOID in kinds:
        found.append(((*at, "measure"), "void facts count nothing and cannot be measured"))
    quantities = {KINDS[kind].quantity for kind in kinds}
    if isinstance(measure, Ratio | Mean) and len(quantities) > 1:
        names = ", ".join(sorted(q.value for q in quantities))
        found.append(((*at, "measure"), f"mixes facts that measure different things ({names})"))
    if isinstance(measure, Total) and Quantity.MONEY in quantities and len(quantities) > 1:
        found.append(((*at, "measure"), "adds money to facts that are not money"))
    return found
