"""`python -m daybook_appraisal`: serve the appraisal service on `DAYBOOK_HTTP_PORT`."""

from daybook_appraisal.bootstrap import build_app
from daybook_appraisal.settings import AppraisalSettings
from daybook_shared.runtime.service import run

if __name__ == "__main__":
    settings = AppraisalSettings()
    run(lambda: build_app(settings), settings)
