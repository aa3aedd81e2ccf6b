"""The attendance service's refusals, by kind (the kind decides the HTTP status at the edge)."""

from __future__ import annotations

from daybook_shared.errors import Conflict, Forbidden, InvalidCommand, NotFound


class UnknownEmployee(InvalidCommand):
    """The roster has no such employee (R-A1 applies only to people on the roster)."""


class NotEmployed(InvalidCommand):
    """The employee had not started yet, or had left, on that day."""


class ClockOutBeforeClockIn(InvalidCommand):
    """A clock-out needs a clock-in before it on the same day."""


class PunchInFuture(InvalidCommand):
    """A punch's time is later than when it was received (beyond a device's clock drift)."""


class WrongWorkDate(InvalidCommand):
    """A time does not fall on the work date it is filed under, in the employee's timezone."""


class NotAWorkday(InvalidCommand):
    """A late-arrival or early-leave request for a day with no scheduled hours."""


class RetroactiveSchedule(InvalidCommand):
    """A schedule may take effect today or later; past days are fixed by corrections."""


class DayNotOver(Conflict):
    """The day has not ended yet in the employee's timezone, so it cannot be closed."""


class RequestNotFound(NotFound):
    """No request with that id."""


class PunchNotFound(NotFound):
    """A correction names a punch the day does not have."""


class AlreadyDecided(Conflict):
    """The request was approved or rejected already."""


class HolidayClash(Conflict):
    """A different holiday is already declared on that date."""


class HolidayNotFound(NotFound):
    """No holiday is declared on that date."""


class NotYourEmployee(Forbidden):
    """A supervisor acting for someone who does not report to them, or an employee for another."""
