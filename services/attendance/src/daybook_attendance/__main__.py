"""`python -m daybook_attendance`: serve the attendance service on `DAYBOOK_HTTP_PORT`."""

from daybook_attendance.bootstrap import build_app
from daybook_attendance.settings import AttendanceSettings
from daybook_shared.runtime.service import run

if __name__ == "__main__":
    settings = AttendanceSettings()
    run(lambda: build_app(settings), settings)
