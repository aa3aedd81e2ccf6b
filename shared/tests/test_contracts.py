from datetime import UTC, datetime
from typing import ClassVar
from uuid import uuid4

import pytest
from pydantic import ValidationError

from daybook_shared.contracts import REGISTRY, Context, Envelope, EventRegistry, Money, Namespace
from daybook_shared.contracts.base import Payload
from daybook_shared.contracts.hr import EmployeeHired
from daybook_shared.contracts.registry import UnknownEventError
from daybook_shared.contracts.snapshot import (
    compare,
    current_schemas,
    differences,
    key_of,
    load,
)


def test_every_published_event_matches_the_committed_snapshot():
    """The CI guard: an unversioned change to a published event fails here."""
    report = compare(load(), current_schemas())
    assert report.breaking == []
    assert report.new_versions == [], "new event versions: run `make schemas` and commit"


def test_every_context_has_events_and_every_payload_is_frozen_and_strict():
    contexts = {m.context for m in REGISTRY}
    assert {c.value for c in Context} <= contexts
    for model in REGISTRY:
        assert model.model_config.get("frozen") is True, model
        assert model.model_config.get("extra") == "forbid", model
        assert model.event_type and model.event_type[0].isupper(), model


def _schema(**properties):
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def test_a_removed_field_is_breaking():
    snapshot = {key_of("X", 1): {"schema": _schema(a={"type": "string"}, b={"type": "integer"})}}
    current = {key_of("X", 1): {"schema": _schema(a={"type": "string"})}}
    [problem] = compare(snapshot, current).breaking
    assert "X.v1" in problem
    assert "properties.b removed" in problem


def test_an_added_or_retyped_field_is_breaking_for_strict_readers():
    old = _schema(a={"type": "string"})
    assert differences(old, _schema(a={"type": "string"}, c={"type": "string"}))
    assert differences(old, _schema(a={"type": "integer"}))


def test_documentation_changes_are_not_breaking():
    old = _schema(a={"type": "string", "description": "old words"})
    new = _schema(a={"type": "string", "description": "new words", "title": "A"})
    assert differences(old, new) == []


def test_a_new_version_is_reported_and_an_old_one_needs_an_upcaster_to_leave():
    registry = EventRegistry()
    snapshot = {key_of("X", 1): {"schema": _schema(a={"type": "string"})}}
    current = {key_of("X", 2): {"schema": _schema(a={"type": "string"}, b={"type": "string"})}}
    report = compare(snapshot, current, registry)
    assert report.new_versions == ["X.v2"]
    assert "X.v1: removed" in report.breaking[0]

    registry.upcaster("X", from_version=1)(lambda data: {**data, "b": ""})
    assert compare(snapshot, current, registry).breaking == []


class _ClockedInV1(Payload):
    context: ClassVar[str] = "test"
    event_type: ClassVar[str] = "TestClockedIn"
    employee_id: str
    at: str


class _ClockedInV2(Payload):
    context: ClassVar[str] = "test"
    event_type: ClassVar[str] = "TestClockedIn"
    schema_version: ClassVar[int] = 2
    employee_id: str
    at: str
    source: str


@REGISTRY.upcaster("TestClockedIn", from_version=1)
def _v1_to_v2(data: dict) -> dict:
    return {**data, "source": "web"}


def _envelope(version: int, payload: dict) -> Envelope:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    return Envelope(
        event_id=uuid4(),
        event_type="TestClockedIn",
        schema_version=version,
        stream_id="s",
        stream_version=1,
        occurred_at=now,
        recorded_at=now,
        producer="test",
        payload=payload,
    )


def test_an_old_stored_version_reads_as_the_current_model():
    event = REGISTRY.read(_envelope(1, {"employee_id": "E1", "at": "09:00"}))
    assert isinstance(event.payload, _ClockedInV2)
    assert event.payload.source == "web"
    current = REGISTRY.read(_envelope(2, {"employee_id": "E1", "at": "9", "source": "badge"}))
    assert current.payload.source == "badge"


def test_a_version_newer_than_the_reader_is_refused_clearly():
    with pytest.raises(UnknownEventError, match="newer than this reader knows"):
        REGISTRY.read(_envelope(3, {"employee_id": "E1", "at": "9", "source": "x"}))


def test_payloads_refuse_unknown_fields_and_are_immutable():
    fields = dict(
        employee_id="E1",
        display_name="A",
        team_id="T1",
        timezone="Asia/Shanghai",
        hired_on="2026-03-01",
    )
    with pytest.raises(ValidationError, match="extra"):
        EmployeeHired(**fields, salary=1)
    hired = EmployeeHired(**fields)
    with pytest.raises(ValidationError):
        hired.team_id = "T2"
    with pytest.raises(ValidationError, match="unknown timezone"):
        EmployeeHired(**{**fields, "timezone": "Mars/Olympus"})


def test_money_is_decimal_with_a_currency():
    money = Money(amount="1234.50", currency="CNY")
    assert money.model_dump(mode="json") == {"amount": "1234.50", "currency": "CNY"}
    with pytest.raises(ValidationError):
        Money(amount="1.234", currency="CNY")
    with pytest.raises(ValidationError):
        Money(amount="1", currency="yuan")


def test_subjects_carry_context_event_and_key_under_the_namespace():
    hired = EmployeeHired(
        employee_id="E1", display_name="A", team_id="T1", timezone="UTC", hired_on="2026-03-01"
    )
    assert Namespace().subject_for(hired) == "hr.v1.employee_hired.E1"
    assert Namespace("t1").subject_for(hired) == "t1.hr.v1.employee_hired.E1"
    assert Namespace().stream_name("attendance") == "ATTENDANCE"
    assert Namespace("t1").stream_name("attendance") == "T1_ATTENDANCE"
    assert Namespace("t1").stream_config("crm").subjects == ["t1.crm.>"]
