"""What a rebuild reads: the relevant subjects, and messages validated like the live consumer."""

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from nats.aio.msg import Msg

from daybook_appraisal.rebuild import FastReader, read_subjects, relevant, stream_sequence
from daybook_shared.contracts import Envelope, Namespace, attendance
from daybook_shared.kit.consumer import Unreadable, read_message

AT = datetime(2026, 11, 3, 1, tzinfo=UTC)


def test_only_hr_events_and_events_that_give_facts_are_relevant():
    assert relevant("hr.v1.employee_hired.E1")
    assert relevant("t1a2b.attendance.v1.late_arrival_recorded.E1")
    assert relevant("crm.v1.deal_won.E-7")
    assert not relevant("t1a2b.attendance.v1.clocked_in.E1")
    assert not relevant("crm.v1.interaction_logged.E1")


def test_a_rebuild_reads_every_hr_event_and_elsewhere_the_subjects_that_give_facts():
    namespace = Namespace("t1")
    assert read_subjects(namespace, "hr") == ["t1.hr.>"]
    attendance_subjects = read_subjects(namespace, "attendance")
    assert attendance_subjects == [
        "t1.attendance.v1.absence_recorded.*",
        "t1.attendance.v1.attendance_fact_withdrawn.*",
        "t1.attendance.v1.early_departure_recorded.*",
        "t1.attendance.v1.late_arrival_recorded.*",
    ]
    assert "t1.crm.v1.interaction_logged.*" not in read_subjects(namespace, "crm")


def test_the_stream_sequence_is_read_from_either_form_of_reply_subject():
    old = Msg(_client=None, subject="s", reply="$JS.ACK.ATTENDANCE.c1.1.4711.12.1764230400.3")
    new = Msg(
        _client=None,
        subject="s",
        reply="$JS.ACK.hub.ACCHASH.ATTENDANCE.c1.1.4712.12.1764230400.3.tok",
    )
    assert (stream_sequence(old), stream_sequence(new)) == (4711, 4712)
    assert stream_sequence(old) == old.metadata.sequence.stream
    assert stream_sequence(new) == new.metadata.sequence.stream


def message(payload_data: dict) -> bytes:
    return (
        Envelope(
            event_id=uuid4(),
            event_type="AbsenceRecorded",
            schema_version=1,
            stream_id="s",
            stream_version=1,
            occurred_at=AT,
            recorded_at=AT,
            producer="attendance",
            payload=payload_data,
        )
        .model_dump_json()
        .encode()
    )


def test_the_fast_reader_reads_what_the_kit_reads_and_refuses_what_it_refuses():
    good = message(
        attendance.AbsenceRecorded(
            employee_id="E1", work_date=date(2026, 11, 3), excused=False
        ).model_dump(mode="json")
    )
    reader = FastReader()
    expected = read_message(good)
    assert reader.read(good) == expected
    typed = reader.read(good, "attendance.v1.absence_recorded.E1")
    assert (typed.event_id, typed.occurred_at, typed.payload) == (
        expected.event_id,
        expected.occurred_at,
        expected.payload,
    )
    # A subject that does not match the body takes the general way and still reads right.
    assert reader.read(good, "attendance.v1.clocked_in.E1").payload == expected.payload
    bad = message({"employee_id": "E1", "work_date": "not a date", "excused": False})
    for subject in (None, "attendance.v1.absence_recorded.E1"):
        with pytest.raises(Unreadable):
            reader.read(bad, subject)
    with pytest.raises(Unreadable):
        reader.read(b"{not json", "attendance.v1.absence_recorded.E1")
