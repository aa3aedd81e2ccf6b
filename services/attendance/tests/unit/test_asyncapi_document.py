"""The committed AsyncAPI document is the one the code generates (no I/O beyond reading it)."""

from pathlib import Path

from daybook_attendance.asyncapi import document

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "asyncapi" / "attendance.json"


def test_the_committed_asyncapi_document_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == document(), (
        "regenerate: python -m daybook_attendance.asyncapi docs/asyncapi/attendance.json"
    )
