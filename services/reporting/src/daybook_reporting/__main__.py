"""`python -m daybook_reporting`: serve the reporting service on `DAYBOOK_HTTP_PORT`."""

from daybook_reporting.bootstrap import build_app
from daybook_reporting.settings import ReportingSettings
from daybook_shared.runtime.service import run

if __name__ == "__main__":
    settings = ReportingSettings()
    run(lambda: build_app(settings), settings)
