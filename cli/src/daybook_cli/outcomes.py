"""A closed period's outcomes, read back from the appraisal's scorecards: as a table for people
and as the JSON summary (`build/demo/summary.json`) that stays the same from run to run (it holds
no event ids, run ids or wall-clock times)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.table import Table

from daybook_cli.client import Caller, Daybook
from daybook_cli.simulation.organisation import Organisation


@dataclass(frozen=True)
class Outcome:
    employee_id: str
    name: str
    team: str
    profile: str
    score: str
    band: str
    components: dict[str, dict[str, Any]]
    rewards: list[dict[str, Any]]
    disciplinary_actions: list[dict[str, Any]]
    card: dict[str, Any]
    """The scorecard as the appraisal answered it (events and ids included)."""

    def as_summary(self) -> dict[str, Any]:
        return {
            "employee_id": self.employee_id,
            "name": self.name,
            "team": self.team,
            "profile": self.profile,
            "score": self.score,
            "band": self.band,
            "components": self.components,
            "rewards": self.rewards,
            "disciplinary_actions": self.disciplinary_actions,
        }


def _component(component: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": component["title"],
        "rule_ids": component["rule_ids"],
        "weight": component["weight"],
        "effective_weight": component["effective_weight"],
        "normalised": component["normalised"],
        "points": component["points"],
        "excluded": component["excluded"],
        "parts": {
            part["part_id"]: {
                "measure": part["measure"],
                "inputs": part["inputs"],
                "value": part["value"],
                "excluded": part["excluded"],
            }
            for part in component["parts"]
        },
    }


def _reward(reward: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "band",
        "bonus_share",
        "bonus",
        "salary_adjustment",
        "commendation",
        "promotion_eligible",
        "promotion_reason",
        "rule_ids",
    )
    return {key: reward.get(key) for key in keys}


def _action(action: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "level",
        "rule_level",
        "policy_rule_id",
        "rule_ids",
        "reason",
        "incident_at",
        "pay_cut_share",
    )
    return {key: action.get(key) for key in keys} | {
        "causing_events": len(action.get("causing_event_ids", ()))
    }


def outcome_of(organisation: Organisation, employee_id: str, card: dict[str, Any]) -> Outcome:
    person = organisation.person(employee_id)
    team = organisation.team_of(person)
    return Outcome(
        employee_id=employee_id,
        name=person.name,
        team=team.name,
        profile=person.profile.name if person.profile else person.role,
        score=card["score"],
        band=card["band"],
        components={c["component_id"]: _component(c) for c in card["components"]},
        rewards=[_reward(card["reward"])] if card.get("reward") else [],
        disciplinary_actions=sorted(
            (_action(a) for a in card.get("actions", [])),
            key=lambda a: (a["incident_at"] or "", a["policy_rule_id"] or ""),
        ),
        card=card,
    )


async def close_period(daybook: Daybook, hr: Caller, period_id: str) -> dict[str, Any]:
    path = f"/appraisal/periods/{period_id}/close"
    answer: dict[str, Any] = await daybook.appraisal.call("POST", path, hr)
    return answer


async def collect_outcomes(
    daybook: Daybook, organisation: Organisation, period_id: str
) -> list[Outcome]:
    """Every salesperson's final scorecard, in employee order."""
    hr = Caller.hr(organisation.hr.employee_id)
    outcomes = []
    for person in organisation.salespeople:
        path = f"/appraisal/periods/{period_id}/scorecards/{person.employee_id}"
        card = await daybook.appraisal.call("GET", path, hr)
        outcomes.append(outcome_of(organisation, person.employee_id, card))
    return outcomes


def describe_reward(reward: dict[str, Any]) -> str:
    parts = []
    bonus = reward.get("bonus") or {}
    if bonus and bonus.get("amount") not in (None, "0", "0.00"):
        parts.append(f"bonus {bonus['currency']} {bonus['amount']}")
    if reward.get("salary_adjustment") not in (None, "0", "0.00", "0.0"):
        parts.append(f"+{float(reward['salary_adjustment']) * 100:g}% salary")
    if reward.get("commendation"):
        parts.append("commendation")
    if reward.get("promotion_eligible"):
        parts.append("promotion eligible")
    return ", ".join(parts)


def describe_action(action: dict[str, Any]) -> str:
    """`warning (unexcused-lateness; R-A1, R-B3.1, R-B4.3): <the reason>`."""
    rules = ", ".join(action.get("rule_ids") or ())
    level = action["level"].replace("_", " ")
    return f"{level} ({action['policy_rule_id']}; {rules}): {action['reason']}"


BAND_STYLES = {"excellent": "bold green", "good": "green", "adequate": "yellow", "poor": "red"}


def outcome_table(outcomes: list[Outcome], title: str) -> Table:
    table = Table(title=title, show_lines=False, expand=True)
    table.add_column("Employee", no_wrap=True)
    table.add_column("Team", no_wrap=True)
    table.add_column("Score", justify="right", no_wrap=True)
    table.add_column("Band", no_wrap=True)
    table.add_column("Reward")
    table.add_column("Discipline (reason, rule ids)", ratio=2)
    for outcome in sorted(outcomes, key=lambda o: (-float(o.score), o.employee_id)):
        style = BAND_STYLES.get(outcome.band, "")
        table.add_row(
            f"{outcome.employee_id} {outcome.name}",
            outcome.team,
            outcome.score,
            f"[{style}]{outcome.band}[/]" if style else outcome.band,
            "; ".join(describe_reward(r) for r in outcome.rewards) or "-",
            "\n".join(f"[red]{describe_action(a)}[/]" for a in outcome.disciplinary_actions) or "-",
        )
    return table


def summary_document(
    *, period: dict[str, Any], seed: int, outcomes: list[Outcome], organisation: Organisation
) -> dict[str, Any]:
    bands: dict[str, int] = {}
    for outcome in outcomes:
        bands[outcome.band] = bands.get(outcome.band, 0) + 1
    return {
        "period": period,
        "seed": seed,
        "organisation": {
            "teams": [team.name for team in organisation.teams],
            "salespeople": len(organisation.salespeople),
            "timezone": organisation.timezone,
        },
        "bands": dict(sorted(bands.items())),
        "rewards": sum(len(o.rewards) for o in outcomes),
        "disciplinary_actions": sum(len(o.disciplinary_actions) for o in outcomes),
        "employees": [o.as_summary() for o in outcomes],
    }
