"""The AsyncAPI document of what appraisal publishes and consumes, as committed in `docs/`.

python -m daybook_appraisal.asyncapi docs/asyncapi/appraisal.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from daybook_appraisal.bootstrap import build_app
from daybook_appraisal.settings import AppraisalSettings
from daybook_shared.runtime.service import asyncapi_document


def document() -> str:
    """Built without connecting to anything, for the production (empty) namespace; the server
    named is a placeholder, whatever this machine's environment says."""
    settings = AppraisalSettings(
        namespace="", nats_url="nats://nats:4222", environment="development", jwt_secret=None
    )
    return json.dumps(asyncapi_document(build_app(settings)), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(document(), encoding="utf-8")
