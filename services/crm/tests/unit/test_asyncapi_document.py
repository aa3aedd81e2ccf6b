import json
from pathlib import Path

from daybook_crm.bootstrap import build_app
from daybook_crm.settings import CrmSettings
from daybook_shared.runtime.service import asyncapi_document

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "asyncapi" / "crm.json"
REGENERATE = (
    ".venv/bin/python -c 'import json; from daybook_crm.bootstrap import build_app; "
    "from daybook_crm.settings import CrmSettings; "
    "from daybook_shared.runtime.service import asyncapi_document; "
    'open("docs/asyncapi/crm.json", "w").write(json.dumps(asyncapi_document('
    'build_app(CrmSettings())), indent=2, sort_keys=True) + "\\n")\''
)


def test_the_committed_asyncapi_document_matches_the_contracts():
    generated = asyncapi_document(build_app(CrmSettings()))
    committed = json.loads(COMMITTED.read_text("utf-8"))
    assert generated == committed, f"docs/asyncapi/crm.json is out of date; run: {REGENERATE}"
