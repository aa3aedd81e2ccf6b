from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from daybook_crm.domain import inquiries
from daybook_crm.domain.customers import Customer
from daybook_crm.domain.inquiries import (
    ReceiveInquiry,
    RecordInquiryOverdue,
    RespondToInquiry,
    fold,
    receive,
    record_overdue,
    respond,
)
from daybook_crm.domain.policy import CrmPolicy
from daybook_shared.contracts.crm import InquiryOverdue, InquiryReceived, InquiryResponded
from daybook_shared.errors import Conflict, InvalidCommand, NotFound

ZONE = "Asia/Shanghai"
POLICY = CrmPolicy()  # phone: 240 business minutes, 09:00-18:00 Monday to Friday
CUSTOMER = Customer("C1", "E1", 30)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(ZONE))


def received(when: datetime, channel: str = "phone") -> tuple[inquiries.Inquiry, list]:
    command = ReceiveInquiry("Q1", "C1", "E1", ZONE, channel, when, now=when)
    events = receive(command, None, CUSTOMER, POLICY)
    state = fold(e.payload for e in events)
    assert state is not None
    return state, events


def test_the_deadline_comes_from_the_channel_budget_in_business_hours():
    _, [event] = received(at(2026, 12, 1, 10, 0))
    assert event.payload == InquiryReceived(
        inquiry_id="Q1",
        customer_id="C1",
        employee_id="E1",
        channel="phone",
        received_at=at(2026, 12, 1, 10, 0),
        respond_by=at(2026, 12, 1, 14, 0),
        response_budget_minutes=240,
        business_timezone=ZONE,
    )
    _, [email] = received(at(2026, 12, 1, 10, 0), channel="email")
    assert email.payload.respond_by == at(2026, 12, 2, 10, 0)


def test_an_inquiry_answered_in_time():
    state, _ = received(at(2026, 12, 1, 10, 0))
    [event] = respond(
        RespondToInquiry("Q1", at(2026, 12, 1, 11, 30), at(2026, 12, 1, 11, 30), responded_by="E1"),
        state,
        POLICY,
    )
    assert isinstance(event.payload, InquiryResponded)
    assert event.payload.within_deadline is True
    assert event.payload.response_business_minutes == 90
    assert event.payload.response_elapsed_minutes == 90
    assert event.payload.employee_id == "E1"
    assert event.occurred_at == at(2026, 12, 1, 11, 30)


def test_an_inquiry_answered_late():
    state, _ = received(at(2026, 12, 1, 10, 0))
    [event] = respond(
        RespondToInquiry("Q1", at(2026, 12, 1, 16, 0), at(2026, 12, 1, 16, 0)), state, POLICY
    )
    assert event.payload.within_deadline is False
    assert event.payload.response_business_minutes == 360
    assert event.payload.was_overdue is False


def test_across_a_weekend_only_business_hours_count():
    state, [received_event] = received(at(2026, 12, 4, 17, 0))  # Friday 17:00
    assert received_event.payload.respond_by == at(2026, 12, 7, 12, 0)  # Monday 12:00
    monday = at(2026, 12, 7, 11, 0)
    [event] = respond(RespondToInquiry("Q1", monday, monday), state, POLICY)
    assert event.payload.within_deadline is True
    assert event.payload.response_business_minutes == 180
    assert event.payload.response_elapsed_minutes == 66 * 60


def test_an_unanswered_inquiry_is_recorded_overdue_once_the_deadline_passes():
    state, _ = received(at(2026, 12, 1, 10, 0))
    assert record_overdue(RecordInquiryOverdue("Q1", at(2026, 12, 1, 14, 0)), state) == []
    [event] = record_overdue(RecordInquiryOverdue("Q1", at(2026, 12, 1, 14, 1)), state)
    assert event.payload == InquiryOverdue(
        inquiry_id="Q1", customer_id="C1", employee_id="E1", respond_by=at(2026, 12, 1, 14, 0)
    )
    assert event.occurred_at == at(2026, 12, 1, 14, 0)
    assert event.event_id == inquiries.overdue_event_id("Q1")
    again = record_overdue(RecordInquiryOverdue("Q1", at(2026, 12, 2, 9, 0)), state)
    assert again[0].event_id == event.event_id
    after = fold([*(e.payload for e in _received_events(state)), event.payload])
    assert record_overdue(RecordInquiryOverdue("Q1", at(2026, 12, 3, 9, 0)), after) == []


def _received_events(state: inquiries.Inquiry) -> list:
    command = ReceiveInquiry(
        "Q1", "C1", "E1", ZONE, "phone", state.received_at, now=state.received_at
    )
    return receive(command, None, CUSTOMER, POLICY)


def test_an_answered_inquiry_is_never_overdue():
    state, events = received(at(2026, 12, 1, 10, 0))
    [answer] = respond(
        RespondToInquiry("Q1", at(2026, 12, 1, 11, 0), at(2026, 12, 1, 11, 0)), state, POLICY
    )
    answered = fold([events[0].payload, answer.payload])
    assert record_overdue(RecordInquiryOverdue("Q1", at(2026, 12, 9, 9, 0)), answered) == []


def test_an_answer_after_the_overdue_record_is_late_and_says_so():
    state, events = received(at(2026, 12, 1, 10, 0))
    [overdue] = record_overdue(RecordInquiryOverdue("Q1", at(2026, 12, 2, 9, 0)), state)
    late_state = fold([events[0].payload, overdue.payload])
    reply_at = at(2026, 12, 2, 10, 0)
    [event] = respond(RespondToInquiry("Q1", reply_at, reply_at), late_state, POLICY)
    assert event.payload.within_deadline is False
    assert event.payload.was_overdue is True


def test_answering_twice_is_a_conflict():
    state, events = received(at(2026, 12, 1, 10, 0))
    reply_at = at(2026, 12, 1, 11, 0)
    [answer] = respond(RespondToInquiry("Q1", reply_at, reply_at), state, POLICY)
    answered = fold([events[0].payload, answer.payload])
    with pytest.raises(Conflict):
        respond(RespondToInquiry("Q1", reply_at, reply_at), answered, POLICY)


def test_an_answer_before_the_inquiry_or_in_the_future_is_refused():
    state, _ = received(at(2026, 12, 1, 10, 0))
    with pytest.raises(InvalidCommand) as before:
        respond(
            RespondToInquiry("Q1", at(2026, 12, 1, 9, 0), at(2026, 12, 1, 11, 0)), state, POLICY
        )
    assert before.value.field == "responded_at"
    with pytest.raises(InvalidCommand) as future:
        respond(
            RespondToInquiry("Q1", at(2026, 12, 1, 12, 0), at(2026, 12, 1, 11, 0)), state, POLICY
        )
    assert future.value.field == "responded_at"


def test_receiving_twice_or_answering_an_unknown_inquiry_is_refused():
    state, _ = received(at(2026, 12, 1, 10, 0))
    with pytest.raises(Conflict):
        receive(
            ReceiveInquiry("Q1", "C1", "E1", ZONE, "phone", state.received_at, state.received_at),
            state,
            CUSTOMER,
            POLICY,
        )
    with pytest.raises(NotFound):
        respond(RespondToInquiry("Q9", state.received_at, state.received_at), None, POLICY)


def test_a_configured_budget_moves_the_deadline():
    policy = CrmPolicy(inquiry_response_minutes={**POLICY.inquiry_response_minutes, "phone": 30})
    when = at(2026, 12, 1, 17, 45)
    [event] = receive(
        ReceiveInquiry("Q1", "C1", "E1", ZONE, "phone", when, when), None, CUSTOMER, policy
    )
    assert event.payload.respond_by == at(2026, 12, 2, 9, 15)
    assert event.payload.received_at + timedelta(minutes=30) < event.payload.respond_by
