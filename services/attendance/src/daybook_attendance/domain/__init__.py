"""The attendance domain: pure decisions on schedules, the calendar, leave and working days.

No I/O, no clock reads: time arrives inside commands, and every decision returns `DecidedEvent`s.
"""
