"""What-if on a closed period (nothing emitted), and bad input refused with nothing stored."""

from datetime import date

from daybook_appraisal.policy_files import SHIPPED_POLICY_DIR
from daybook_shared.testing.auth import as_supervisor

from .appraisal_support import (
    AFTER_NOVEMBER,
    HR,
    Appraisal,
    deal_won,
    late_arrival,
    rated,
    sales_goal,
    shanghai,
)

DEFAULT = (SHIPPED_POLICY_DIR / "default.yaml").read_text()


def candidate(text: str) -> str:
    return text.replace('policy_version: "2026.1"', 'policy_version: "2027.1-draft"')


async def closed_november(appraisal: Appraisal) -> None:
    """E1 scores 70.35 (adequate), as in test_live_scores_and_close."""
    await appraisal.open_november()
    sent = [
        await appraisal.publish(sales_goal("E1", "100000.00"), at=shanghai(2026, 11, 2, 9)),
        await appraisal.publish(deal_won("E1", "85000.00"), at=shanghai(2026, 11, 10, 15)),
        await appraisal.publish(rated("E1", 4), at=shanghai(2026, 11, 11, 15)),
    ] + [
        await appraisal.publish(
            late_arrival("E1", date(2026, 11, day)), at=shanghai(2026, 11, day, 9)
        )
        for day in (3, 10, 17)
    ]
    await appraisal.consumed(*(e.event_id for e in sent))
    appraisal.clock.set(AFTER_NOVEMBER)
    closed = await appraisal.http.post("/appraisal/periods/2026-11/close", headers=HR)
    assert closed.status_code == 200, closed.text


async def test_what_if_shows_a_changed_band_and_emits_nothing(appraisal: Appraisal):
    await closed_november(appraisal)
    await appraisal.published()
    before = await appraisal.stored()

    stricter = candidate(DEFAULT).replace("min_score: 60", "min_score: 72")
    answer = await appraisal.http.post(
        "/appraisal/periods/2026-11/what-if",
        headers={**HR, "Content-Type": "application/yaml"},
        content=stricter.encode(),
    )
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["current_policy_version"], result["candidate_policy_version"]) == (
        "2026.1",
        "2027.1-draft",
    )
    e1 = next(e for e in result["employees"] if e["employee_id"] == "E1")
    assert (e1["current"]["score"], e1["current"]["band"]) == ("70.35", "adequate")
    assert (e1["candidate"]["score"], e1["candidate"]["band"]) == ("70.35", "poor")
    assert e1["current"]["bonus_share"] == "0.05"
    assert e1["candidate"]["bonus_share"] == "0"
    assert (
        e1["current"]["actions"]
        == e1["candidate"]["actions"]
        == [{"level": "warning", "policy_rule_id": "unexcused-lateness"}]
    )
    assert e1["band_changed"] and e1["changed"]
    assert result["summary"]["band_changed"] == 1
    assert result["summary"]["bands_candidate"]["poor"] == 1

    assert await appraisal.stored() == before
    assert len(await appraisal.published()) == len(before)


async def test_a_candidate_with_a_bad_weight_is_refused_naming_line_and_field(
    appraisal: Appraisal,
):
    await closed_november(appraisal)
    bad = candidate(DEFAULT).replace("weight: 30 ", "weight: -30 ")
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if "weight: -30" in text)
    answer = await appraisal.http.post(
        "/appraisal/periods/2026-11/what-if",
        headers={**HR, "Content-Type": "text/yaml"},
        content=bad.encode(),
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid_policy"
    assert body["errors"] == [
        {"line": line, "field": "components[0].weight", "problem": "Input should be greater than 0"}
    ]
    assert body["detail"] == (
        f"the policy is invalid: line {line}, components[0].weight: Input should be greater than 0"
    )
    not_yaml = await appraisal.http.post(
        "/appraisal/periods/2026-11/what-if", headers=HR, json={"policy": DEFAULT}
    )
    assert not_yaml.status_code == 422
    assert not_yaml.json()["field"] == "body"
    not_hr = await appraisal.http.post(
        "/appraisal/periods/2026-11/what-if",
        headers={**as_supervisor("S1"), "Content-Type": "application/yaml"},
        content=DEFAULT.encode(),
    )
    assert not_hr.status_code == 403


async def test_what_if_needs_a_closed_period(appraisal: Appraisal):
    await appraisal.open_november()
    answer = await appraisal.http.post(
        "/appraisal/periods/2026-11/what-if",
        headers={**HR, "Content-Type": "application/yaml"},
        content=DEFAULT.encode(),
    )
    assert answer.status_code == 409


async def test_bad_periods_are_refused_naming_the_field_and_store_nothing(appraisal: Appraisal):
    backwards = await appraisal.http.post(
        "/appraisal/periods",
        headers=HR,
        json={
            "period_id": "2026-11",
            "starts_on": "2026-11-30",
            "ends_on": "2026-11-01",
        },
    )
    assert (backwards.status_code, backwards.json()["field"]) == (422, "ends_on")
    unknown_policy = await appraisal.http.post(
        "/appraisal/periods",
        headers=HR,
        json={
            "period_id": "2026-11",
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
            "policy_version": "1999.9",
        },
    )
    assert (unknown_policy.status_code, unknown_policy.json()["field"]) == (422, "policy_version")
    bad_zone = await appraisal.http.post(
        "/appraisal/periods",
        headers=HR,
        json={
            "period_id": "2026-11",
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
            "timezone": "Mars/Olympus",
        },
    )
    assert (bad_zone.status_code, bad_zone.json()["field"]) == (422, "body.timezone")
    bad_id = await appraisal.http.post(
        "/appraisal/periods",
        headers=HR,
        json={
            "period_id": "Nov 2026",
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-30",
        },
    )
    assert (bad_id.status_code, bad_id.json()["field"]) == (422, "body.period_id")
    assert await appraisal.stored() == []

    await appraisal.open_november()
    overlapping = await appraisal.http.post(
        "/appraisal/periods",
        headers=HR,
        json={
            "period_id": "2026-11b",
            "starts_on": "2026-11-15",
            "ends_on": "2026-12-15",
        },
    )
    assert overlapping.status_code == 409
    assert "overlap period 2026-11" in overlapping.json()["detail"]
    assert len(await appraisal.stored()) == 1


async def test_an_empty_appeal_reason_is_refused(appraisal: Appraisal):
    answer = await appraisal.http.post(
        "/appraisal/actions/6f1c5c1e-3a0b-4d0e-9d7a-2b0d1a6e7c11/appeal",
        headers=as_supervisor("S1"),
        json={"reason": "  "},
    )
    assert (answer.status_code, answer.json()["field"]) == (422, "body.reason")
