"""The committed contract documents match the code: AsyncAPI per service, event JSON schemas."""

from pathlib import Path

import pytest

from daybook_shared.runtime.asyncapi import SERVICES, document

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_asyncapi_document_is_current(service):
    committed = ROOT / "docs" / "asyncapi" / f"{service}.json"
    assert committed.exists(), f"run `make asyncapi` to write {committed}"
    assert committed.read_text("utf-8") == document(service), "run `make asyncapi` and commit"


@pytest.mark.parametrize("service", SERVICES)
def test_each_document_lists_what_the_service_publishes_and_consumes(service):
    text = document(service)
    assert f'"{service}.v1.' in text
    assert '"title": "Daybook ' in text
