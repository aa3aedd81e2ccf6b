"""Write a service's AsyncAPI document, built without connecting to anything.

    python -m daybook_shared.runtime.asyncapi attendance docs/asyncapi/attendance.json

The document describes the production deployment: the empty namespace (subjects such as
`attendance.v1.clocked_in.{employee}`) and a placeholder server address, whatever this machine's
environment says. The service is found by name (`daybook_<service>.bootstrap.build_app`).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from unittest import mock

from daybook_shared.runtime.service import asyncapi_document

SERVICES = ("attendance", "reporting", "crm", "appraisal")
DOCUMENTS = Path("docs/asyncapi")
_PRODUCTION_SHAPE = {
    "DAYBOOK_NAMESPACE": "",
    "NATS_URL": "nats://nats:4222",
    "DAYBOOK_NATS_URL": "nats://nats:4222",
    "DAYBOOK_ENVIRONMENT": "development",
    "DAYBOOK_CLOCK_FILE": "",
}


def document(service: str) -> str:
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}: one of {', '.join(SERVICES)}")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DAYBOOK_")}
    environment.update({k: v for k, v in _PRODUCTION_SHAPE.items() if v})
    with mock.patch.dict(os.environ, environment, clear=True):
        bootstrap = importlib.import_module(f"daybook_{service}.bootstrap")
        app = bootstrap.build_app()
    return json.dumps(asyncapi_document(app), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    services = argv[:1] or list(SERVICES)
    for service in services:
        target = Path(argv[1]) if len(argv) > 1 else DOCUMENTS / f"{service}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(document(service), encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
