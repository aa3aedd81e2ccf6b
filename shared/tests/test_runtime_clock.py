"""Clocks: aware UTC instants, and a manual clock that moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from daybook_shared.runtime.clock import Clock, ManualClock, SystemClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_system_clock_gives_aware_utc_now() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)

    assert now.tzinfo is UTC
    assert before <= now <= after


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(ManualClock(START), Clock)


def test_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(START)

    assert clock.now() == START
    assert clock.now() == START


def test_manual_clock_advances_and_returns_the_new_time() -> None:
    clock = ManualClock(START)

    moved_to = clock.advance(timedelta(minutes=90))

    assert moved_to == START + timedelta(minutes=90)
    assert clock.now() == moved_to


def test_manual_clock_can_be_set() -> None:
    clock = ManualClock(START)
    later = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)

    clock.set(later)

    assert clock.now() == later


def test_manual_clock_keeps_the_instant_and_reports_it_in_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    clock = ManualClock(datetime(2026, 3, 2, 17, 0, tzinfo=shanghai))

    assert clock.now() == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)


def test_manual_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 3, 2, 9, 0))
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 3, 2, 9, 0))
    assert clock.now() == START


def test_file_clock_shares_a_simulated_time_and_falls_back_to_the_wall_clock(tmp_path):
    from daybook_shared.runtime.clock import FileClock

    path = tmp_path / "clock"
    reader, writer = FileClock(str(path)), FileClock(str(path))
    before = datetime.now(UTC)
    assert reader.now() >= before  # no file yet: the wall clock
    writer.set(datetime(2026, 3, 2, 9, 30, tzinfo=timezone(timedelta(hours=8))))
    assert reader.now() == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    writer.set(datetime(2026, 3, 3, 1, 30, tzinfo=UTC))
    assert reader.now() == datetime(2026, 3, 3, 1, 30, tzinfo=UTC)


def test_a_simulated_clock_is_refused_in_production():
    from daybook_shared.runtime.settings import ServiceSettings

    with pytest.raises(ValueError, match="clock_file"):
        ServiceSettings(
            service_name="x", environment="production", clock_file="/tmp/c", jwt_secret="x" * 40
        )
