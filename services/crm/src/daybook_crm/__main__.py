"""`python -m daybook_crm`: serve the crm service on `DAYBOOK_HTTP_PORT`."""

from daybook_crm.bootstrap import build_app
from daybook_crm.settings import CrmSettings
from daybook_shared.runtime.service import run

if __name__ == "__main__":
    settings = CrmSettings()
    run(lambda: build_app(settings), settings)
