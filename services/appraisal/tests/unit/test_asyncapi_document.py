"""The committed AsyncAPI document is the one the code generates (no I/O beyond reading it)."""

import json
from pathlib import Path

from daybook_shared.runtime.asyncapi import document as generated

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "asyncapi" / "appraisal.json"


def test_the_committed_asyncapi_document_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == generated("appraisal"), (
        "regenerate: make asyncapi"
    )


def test_it_lists_every_appraisal_event_and_the_four_consumed_streams():
    spec = json.loads(generated("appraisal"))
    assert {
        "AppraisalPeriodOpened",
        "AppraisalPeriodClosed",
        "AppraisalFinalized",
        "RewardGranted",
        "DisciplinaryActionIssued",
        "AppealFiled",
        "AppealDecided",
    } <= set(spec["channels"])
    assert spec["channels"]["RewardGranted"]["address"] == "appraisal.v1.reward_granted.*"
    addresses = {channel["address"] for channel in spec["channels"].values()}
    for context in ("hr", "attendance", "reporting", "crm"):
        assert f"{context}.>" in addresses
