"""The same events delivered twice and in any order give the same scores."""

from datetime import date
from uuid import uuid4

from daybook_shared.contracts import Envelope, attendance, reporting
from daybook_shared.testing.events import foreign_envelope

from .appraisal_support import (
    Appraisal,
    deal_won,
    late_arrival,
    points,
    rated,
    sales_goal,
    shanghai,
    training,
)


def month_of(employee_id: str) -> list[Envelope]:
    """A month of facts, in the order they happened, including a withdrawal and a late report."""
    late = [
        foreign_envelope(late_arrival(employee_id, date(2026, 11, day)), shanghai(2026, 11, day, 9))
        for day in (3, 10, 17)
    ]
    withdrawn = foreign_envelope(
        attendance.AttendanceFactWithdrawn(
            employee_id=employee_id,
            work_date=date(2026, 11, 3),
            withdrawn_event_id=late[0].event_id,
            withdrawn_event_type="LateArrivalRecorded",
            cause="correction",
        ),
        late[0].occurred_at,
    )
    deadline = shanghai(2026, 11, 5, 9)
    missed = foreign_envelope(
        reporting.DailyReportMissed(
            employee_id=employee_id,
            report_date=date(2026, 11, 4),
            deadline=deadline,
            supervisor_id="S1",
        ),
        deadline,
    )
    submitted_late = foreign_envelope(
        reporting.DailyReportSubmitted(
            employee_id=employee_id,
            report_date=date(2026, 11, 4),
            revision=1,
            work="Met the buyer",
            progress="Quote sent",
            challenges="Budget freeze",
            solutions="Phased delivery",
            supervisor_id="S1",
            submitted_at=shanghai(2026, 11, 5, 11),
            deadline=deadline,
            on_time=False,
        ),
        shanghai(2026, 11, 5, 11),
    )
    return [
        foreign_envelope(sales_goal(employee_id, "100000.00"), shanghai(2026, 11, 1, 9)),
        *late,
        withdrawn,
        missed,
        submitted_late,
        foreign_envelope(deal_won(employee_id, "40000.00"), shanghai(2026, 11, 12, 15)),
        foreign_envelope(deal_won(employee_id, "30000.00"), shanghai(2026, 11, 19, 15)),
        foreign_envelope(rated(employee_id, 5), shanghai(2026, 11, 13, 15)),
        foreign_envelope(rated(employee_id, 3), shanghai(2026, 11, 20, 15)),
        foreign_envelope(
            training(employee_id, date(2026, 11, 21), "6"), shanghai(2026, 11, 21, 18)
        ),
        foreign_envelope(
            reporting.CertificationObtained(
                entry_id=uuid4(),
                employee_id=employee_id,
                name="Certified Sales Professional",
                issuer="Sales Institute",
                obtained_on=date(2026, 11, 25),
            ),
            shanghai(2026, 11, 25, 18),
        ),
    ]


async def test_duplicates_and_reordering_change_no_score(appraisal: Appraisal):
    await appraisal.open_november()
    in_order = month_of("E1")
    shuffled = month_of("E2")
    for sent in in_order:
        await appraisal.send(sent)
    # E2's month arrives backwards, the withdrawal before the late arrival it withdraws, and
    # every event twice (as a producer's republish after the de-duplication window would).
    for sent in reversed(shuffled):
        await appraisal.send(sent, dedupe=False)
        await appraisal.send(sent, dedupe=False)
    await appraisal.consumed(*(e.event_id for e in in_order + shuffled))

    first = await appraisal.scorecard("E1")
    second = await appraisal.scorecard("E2")
    assert points(first) == points(second)
    assert (first["score"], first["band"]) == (second["score"], second["band"])
    punctuality = next(c for c in first["components"] if c["component_id"] == "punctuality")
    assert punctuality["parts"][0]["inputs"] == {"total": "2"}
    reporting_ = next(c for c in first["components"] if c["component_id"] == "reporting")
    assert reporting_["parts"][0]["inputs"] == {"numerator": "0.5", "denominator": "1"}
    # Weights with data: sales 30, satisfaction 15, punctuality 15, reporting 10, data upkeep 5,
    # development 5 = 80. Sales 37.5 x 0.7 = 26.25; satisfaction (mean 4) 18.75 x 0.75 = 14.06;
    # punctuality (2 of 6, one withdrawn) 18.75 x 2/3 = 12.50; reporting (one late report,
    # below the 0.6 floor) 0.00; data upkeep 6.25; development (6 h + 8 for the certification)
    # 6.25 x 14/16 = 5.47. Score 64.53: adequate.
    assert points(first) == {
        "sales": "26.25",
        "satisfaction": "14.06",
        "punctuality": "12.50",
        "reporting": "0.00",
        "data-upkeep": "6.25",
        "development": "5.47",
    }
    assert (first["score"], first["band"]) == ("64.53", "adequate")
