"""The AsyncAPI document names every reporting event and what the service consumes (no I/O).

Whether the committed `docs/asyncapi/reporting.json` is current is checked for every service by
`tests/test_published_documents.py`; regenerate with `make asyncapi`.
"""

import json

from daybook_shared.runtime.asyncapi import document


def test_the_document_names_every_reporting_event_and_what_is_consumed():
    channels = json.loads(document("reporting"))["channels"]
    names = " ".join(channels)
    for event_type in (
        "DailyReportSubmitted",
        "DailyReportMissed",
        "DailyReportMissedWithdrawn",
        "DailyReportReviewed",
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
