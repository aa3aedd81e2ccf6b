from daybook_crm.domain.customers import PROFILE_FIELDS
from daybook_shared.contracts import REGISTRY

FREE_TEXT_FIELDS = {"notes", "note", "description", "message", "summary", "subject", "comment"}


def test_no_crm_event_has_a_field_for_customer_details_or_free_text():
    """R-B3.4: names and contact details never leave crm."""
    crm_models = [m for m in REGISTRY if m.context == "crm"]
    assert len(crm_models) >= 16
    for model in crm_models:
        leaking = set(model.model_fields) & (set(PROFILE_FIELDS) | FREE_TEXT_FIELDS)
        assert not leaking, f"{model.event_type} carries {leaking}"


def test_every_crm_event_names_the_employee_it_counts_for():
    for model in REGISTRY:
        if model.context == "crm":
            assert model.model_fields["employee_id"].is_required(), model.event_type
