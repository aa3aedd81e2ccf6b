from datetime import UTC, datetime, timedelta

import pytest

from daybook_crm.domain import customers
from daybook_crm.domain.customers import (
    ReassignCustomer,
    RegisterCustomer,
    UpdateCustomer,
    completeness,
    decide,
    fold,
    with_changes,
)
from daybook_shared.contracts.crm import (
    CustomerReassigned,
    CustomerRecordUpdated,
    CustomerRegistered,
)
from daybook_shared.errors import Conflict, InvalidCommand, NotFound

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PROFILE = {"name": "Acme Trading", "email": "buyer@acme.example", "phone": "+86 21 5555 0100"}


def registered(owner: str = "E1", profile: dict | None = None) -> customers.Customer:
    command = RegisterCustomer("C1", owner, profile or PROFILE, at=NOW, now=NOW)
    state = fold(e.payload for e in decide(command, None))
    assert state is not None
    return state


def test_registering_records_the_owner_and_completeness_but_not_the_details():
    [event] = decide(RegisterCustomer("C1", "E1", PROFILE, at=NOW, now=NOW), None)
    assert event.payload == CustomerRegistered(customer_id="C1", employee_id="E1", completeness=30)
    assert event.occurred_at == NOW
    dumped = event.payload.model_dump_json()
    assert "Acme" not in dumped
    assert "acme.example" not in dumped


def test_completeness_is_the_share_of_profile_fields_filled():
    assert completeness({"name": "A"}) == 10
    assert completeness({name: "x" for name in customers.PROFILE_FIELDS}) == 100


def test_a_record_needs_a_name_and_only_known_fields():
    with pytest.raises(InvalidCommand) as no_name:
        decide(RegisterCustomer("C1", "E1", {"name": "  ", "email": "a@b.c"}, NOW, NOW), None)
    assert no_name.value.field == "name"
    with pytest.raises(InvalidCommand) as unknown:
        decide(RegisterCustomer("C1", "E1", {"name": "A", "shoe_size": "9"}, NOW, NOW), None)
    assert unknown.value.field == "shoe_size"


def test_registering_twice_is_a_conflict():
    with pytest.raises(Conflict):
        decide(RegisterCustomer("C1", "E1", PROFILE, NOW, NOW), registered())


def test_an_update_names_the_changed_fields_and_the_new_completeness():
    later = NOW + timedelta(days=3)
    command = UpdateCustomer(
        "C1",
        {"company": "Acme Ltd", "phone": None, "email": PROFILE["email"]},
        PROFILE,
        at=later,
        now=later,
    )
    [event] = decide(command, registered())
    assert event.payload == CustomerRecordUpdated(
        customer_id="C1",
        employee_id="E1",
        completeness=30,
        previous_completeness=30,
        changed_fields=("company", "phone"),
    )
    assert "Acme Ltd" not in event.payload.model_dump_json()


def test_an_update_that_changes_nothing_records_nothing():
    command = UpdateCustomer("C1", {"name": " Acme Trading "}, PROFILE, at=NOW, now=NOW)
    assert decide(command, registered()) == []


def test_an_update_cannot_clear_the_name():
    with pytest.raises(InvalidCommand) as refused:
        decide(UpdateCustomer("C1", {"name": ""}, PROFILE, NOW, NOW), registered())
    assert refused.value.field == "name"


def test_with_changes_sets_and_clears_fields():
    assert with_changes(PROFILE, {"phone": None, "city": " Shanghai "}) == {
        "name": "Acme Trading",
        "email": "buyer@acme.example",
        "city": "Shanghai",
    }


def test_reassigning_moves_ownership_and_names_the_previous_owner():
    [event] = decide(ReassignCustomer("C1", "E2", NOW, NOW), registered("E1"))
    assert event.payload == CustomerReassigned(
        customer_id="C1", employee_id="E2", previous_employee_id="E1", completeness=30
    )
    state = fold(
        [
            *(e.payload for e in decide(RegisterCustomer("C1", "E1", PROFILE, NOW, NOW), None)),
            event.payload,
        ]
    )
    assert state is not None
    assert state.owner_id == "E2"


def test_reassigning_to_the_current_owner_records_nothing():
    assert decide(ReassignCustomer("C1", "E1", NOW, NOW), registered("E1")) == []


def test_an_unknown_customer_is_not_found():
    with pytest.raises(NotFound):
        decide(ReassignCustomer("C9", "E2", NOW, NOW), None)


def test_a_change_dated_in_the_future_is_refused():
    with pytest.raises(InvalidCommand) as refused:
        decide(ReassignCustomer("C1", "E2", NOW + timedelta(hours=1), NOW), registered())
    assert refused.value.field == "at"


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-address"), ("phone", "call me"), ("website", "a b"), ("city", "x" * 201)],
)
def test_values_that_cannot_be_accurate_are_refused(field: str, value: str):
    with pytest.raises(InvalidCommand) as refused:
        decide(RegisterCustomer("C1", "E1", {"name": "A", field: value}, NOW, NOW), None)
    assert refused.value.field == field
    with pytest.raises(InvalidCommand):
        decide(UpdateCustomer("C1", {field: value}, PROFILE, NOW, NOW), registered())
