from datetime import UTC, datetime

import pytest

from daybook_crm.domain import interactions, satisfaction
from daybook_crm.domain.customers import Customer
from daybook_crm.domain.interactions import LogInteraction
from daybook_crm.domain.satisfaction import RateSatisfaction
from daybook_shared.contracts.crm import InteractionLogged, SatisfactionRated
from daybook_shared.errors import Conflict, InvalidCommand

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CUSTOMER = Customer("C1", "E1", 30)


def test_a_rating_counts_for_the_salesperson_who_served():
    [event] = satisfaction.decide(
        RateSatisfaction("R1", "C1", 4, NOW, NOW, served_by="E2"), CUSTOMER, already_rated=False
    )
    assert event.payload == SatisfactionRated(
        rating_id="R1", customer_id="C1", employee_id="E2", rating=4
    )


def test_without_a_named_server_the_owner_is_rated():
    [event] = satisfaction.decide(RateSatisfaction("R1", "C1", 5, NOW, NOW), CUSTOMER, False)
    assert event.payload.employee_id == "E1"


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_out_of_range_is_refused(rating: int):
    with pytest.raises(InvalidCommand) as refused:
        satisfaction.decide(RateSatisfaction("R1", "C1", rating, NOW, NOW), CUSTOMER, False)
    assert refused.value.field == "rating"


def test_a_rating_is_recorded_once():
    with pytest.raises(Conflict):
        satisfaction.decide(RateSatisfaction("R1", "C1", 3, NOW, NOW), CUSTOMER, True)


def test_an_interaction_is_logged_for_who_spoke_with_the_customer():
    command = LogInteraction("I1", "C1", "E2", "visit", NOW, NOW, duration_minutes=45)
    [event] = interactions.decide(command, CUSTOMER, already_logged=False)
    assert event.payload == InteractionLogged(
        interaction_id="I1",
        customer_id="C1",
        employee_id="E2",
        channel="visit",
        duration_minutes=45,
    )
    with pytest.raises(Conflict):
        interactions.decide(command, CUSTOMER, already_logged=True)
