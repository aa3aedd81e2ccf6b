from datetime import UTC, date, datetime, timedelta

from daybook_crm.domain.staleness import OwnedRecord, SweepStaleRecords, stale_event_id, sweep
from daybook_shared.contracts.crm import CustomerRecordsStale

NOW = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)  # already 2 December in Shanghai


def record(customer: str, owner: str, days_ago: int, zone: str = "Asia/Shanghai") -> OwnedRecord:
    return OwnedRecord(customer, owner, zone, NOW - timedelta(days=days_ago))


def test_owners_with_records_older_than_the_threshold_are_recorded_once_a_day():
    records = [
        record("C1", "E1", 31),
        record("C2", "E1", 2),
        record("C3", "E1", 45),
        record("C4", "E2", 29),
        record("C5", "E3", 60, zone="Europe/London"),
    ]
    findings = sweep(SweepStaleRecords(now=NOW, stale_after_days=30), records)
    assert [f.payload for f in findings] == [
        CustomerRecordsStale(
            employee_id="E1",
            as_of=date(2026, 12, 2),
            threshold_days=30,
            stale_customer_ids=("C1", "C3"),
            stale_count=2,
            owned_count=3,
        ),
        CustomerRecordsStale(
            employee_id="E3",
            as_of=date(2026, 12, 1),
            threshold_days=30,
            stale_customer_ids=("C5",),
            stale_count=1,
            owned_count=1,
        ),
    ]
    assert findings[0].event_id == stale_event_id("E1", date(2026, 12, 2))
    assert all(f.occurred_at == NOW for f in findings)


def test_a_second_sweep_the_same_day_derives_the_same_ids():
    records = [record("C1", "E1", 31)]
    first = sweep(SweepStaleRecords(now=NOW, stale_after_days=30), records)
    second = sweep(SweepStaleRecords(now=NOW + timedelta(hours=2), stale_after_days=30), records)
    assert [f.event_id for f in first] == [f.event_id for f in second]


def test_fresh_records_record_nothing():
    assert sweep(SweepStaleRecords(now=NOW, stale_after_days=30), [record("C1", "E1", 1)]) == []
