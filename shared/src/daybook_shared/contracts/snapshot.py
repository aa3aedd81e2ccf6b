"""The committed JSON Schema snapshot of every event, and the check that guards it.

Payload models forbid unknown fields, so any change to a published (event type, schema version)
breaks a reader somewhere: a service deployed a release behind, or an external subscriber. The
rule is therefore strict: the schema of an existing version may change only in titles and
descriptions. Anything else needs a new `schema_version` (a new model) and an upcaster from the
old one. A version may leave the registry only when an upcaster still reads it.

    python -m daybook_shared.contracts.snapshot --check   # CI: fail on an unversioned change
    python -m daybook_shared.contracts.snapshot --write   # record new versions (refuses breaks)
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daybook_shared.contracts import REGISTRY, Context, EventRegistry

SNAPSHOT = Path(__file__).with_name("snapshot.json")
_DOC_KEYS = {"title", "description", "examples"}


def key_of(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}"


def current_schemas(registry: EventRegistry = REGISTRY) -> dict[str, dict[str, Any]]:
    contexts = {c.value for c in Context}
    return {
        key_of(model.event_type, model.schema_version): {
            "context": model.context,
            "schema": model.model_json_schema(mode="serialization"),
        }
        for model in registry
        if model.context in contexts
    }


def _without_docs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_docs(v) for k, v in value.items() if k not in _DOC_KEYS}
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def differences(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """What changed between two schemas, ignoring documentation; each item names the place."""
    old, new = _without_docs(old), _without_docs(new)
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for name in sorted(set(old) | set(new)):
            where = f"{path}.{name}" if path else name
            if name not in new:
                found.append(f"{where} removed")
            elif name not in old:
                found.append(f"{where} added")
            else:
                found.extend(differences(old[name], new[name], where))
        return found
    return [f"{path or 'schema'} changed from {json.dumps(old)} to {json.dumps(new)}"]


@dataclass
class Report:
    breaking: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaking and not self.new_versions


def compare(
    snapshot: dict[str, Any], current: dict[str, Any], registry: EventRegistry = REGISTRY
) -> Report:
    report = Report()
    for key, recorded in sorted(snapshot.items()):
        if key not in current:
            event_type, version = key.rsplit(".v", 1)
            if not registry.has_upcaster(event_type, int(version)):
                report.breaking.append(
                    f"{key}: removed, but stored and in-flight events of it must still read; "
                    "keep the model or register an upcaster from it"
                )
            continue
        changes = differences(recorded["schema"], current[key]["schema"])
        if changes:
            report.breaking.append(
                f"{key}: changed without a new schema_version ({'; '.join(changes[:4])}); "
                "add a version-2 model with an upcaster instead"
            )
    report.new_versions = sorted(set(current) - set(snapshot))
    return report


def load(path: Path = SNAPSHOT) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def write(snapshot: dict[str, Any], path: Path = SNAPSHOT) -> None:
    path.write_text(json.dumps(snapshot, indent=2, sort_keys=True) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true")
    action.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    recorded, current = load(), current_schemas()
    report = compare(recorded, current)
    for problem in report.breaking:
        print(f"BREAKING {problem}", file=sys.stderr)
    if report.breaking:
        return 1
    if args.write:
        write({**recorded, **{k: current[k] for k in report.new_versions}})
        print(f"snapshot: {len(report.new_versions)} new event versions recorded")
        return 0
    if report.new_versions:
        print(f"not in the snapshot yet (run make schemas): {report.new_versions}", file=sys.stderr)
        return 1
    print(f"snapshot: {len(current)} event versions match")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
