"""The committed AsyncAPI document is the one the code generates (no I/O beyond reading it)."""

import json
from pathlib import Path

from daybook_reporting.asyncapi import document

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "asyncapi" / "reporting.json"


def test_the_committed_asyncapi_document_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == document(), (
        "regenerate: python -m daybook_reporting.asyncapi docs/asyncapi/reporting.json"
    )


def test_the_document_names_every_reporting_event_and_what_is_consumed():
    channels = json.loads(document())["channels"]
    names = " ".join(channels)
    for event_type in (
        "DailyReportSubmitted",
        "DailyReportMissed",
        "DailyReportReviewed",
        "DailyReportMissedWithdrawn",
        "CompanyTargetSet",
        "GoalSet",
        "GoalProgressReported",
        "GoalProgressReportMissed",
        "MarketReportSubmitted",
        "TrainingCompleted",
        "CertificationObtained",
    ):
        assert event_type in names
    assert "reporting_roster_v1 <- hr" in names
    assert "reporting_calendar_v1 <- attendance" in names
