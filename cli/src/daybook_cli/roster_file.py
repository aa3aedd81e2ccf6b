"""Reading an HR system's export (CSV or JSON) into HR facts: hirings, transfers, leavings.

One row (or JSON object) per fact, in the order they happened:

| column | meaning |
|---|---|
| `event` | `hired` (the default when the column is absent or empty), `transferred` or `left` |
| `employee_id` | the roster id |
| `effective_on` | the day the hiring, transfer or leaving takes effect (ISO date) |
| `display_name` | hired: the name shown on scoreboards |
| `team_id`, `supervisor_id`, `role`, `timezone` | hired (team and timezone required) and transferred (team required) |
| `reason` | left: optional |

A plain roster with one row per employee and no `event` column is read as hirings. JSON is a list
of such objects, or `{"events": [...]}`. Every problem is reported with its line (CSV) or item
(JSON), and nothing is published while any row is bad.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from daybook_cli.errors import CliError
from daybook_shared.contracts.hr import EmployeeHired, EmployeeLeft, EmployeeTransferred, HrEvent

COLUMNS = (
    "event",
    "employee_id",
    "effective_on",
    "display_name",
    "team_id",
    "supervisor_id",
    "role",
    "timezone",
    "reason",
)
_DATE_FIELD = {"hired": "hired_on", "transferred": "effective_on", "left": "left_on"}
_MODELS: dict[str, type[HrEvent]] = {
    "hired": EmployeeHired,
    "transferred": EmployeeTransferred,
    "left": EmployeeLeft,
}
_FIELDS = {
    "hired": ("employee_id", "display_name", "team_id", "supervisor_id", "role", "timezone"),
    "transferred": ("employee_id", "team_id", "supervisor_id", "role", "timezone"),
    "left": ("employee_id", "reason"),
}
MAX_PROBLEMS_SHOWN = 20
Row = tuple[int, dict[str, Any] | str]
"""A numbered row, or the problem that made it unreadable."""


class RosterFileError(CliError):
    """The file cannot be imported; every problem found is listed."""


def read_roster(path: Path) -> list[HrEvent]:
    """The HR facts in `path` (`.csv` or `.json`), in the file's order."""
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise RosterFileError(f"There is no file {path}.") from None
    except UnicodeDecodeError as exc:
        raise RosterFileError(f"{path} is not UTF-8 text (byte {exc.start}).") from None
    except OSError as exc:
        raise RosterFileError(f"Could not read {path}: {exc.strerror}.") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = list(_csv_rows(text, path))
        where = "line"
    elif suffix == ".json":
        rows = list(_json_rows(text, path))
        where = "item"
    else:
        raise RosterFileError(
            f"{path} must be a .csv or a .json file (an HR system's export), "
            f"not {suffix or 'a file without an extension'}."
        )
    if not rows:
        raise RosterFileError(f"{path} holds no employees.")
    facts: list[HrEvent] = []
    problems: list[str] = []
    for number, row in rows:
        if isinstance(row, str):
            problems.append(f"{where} {number}: {row}")
            continue
        try:
            facts.append(hr_fact(row))
        except ValueError as exc:
            problems.append(f"{where} {number}: {exc}")
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        hidden = len(problems) - MAX_PROBLEMS_SHOWN
        more = f" (and {hidden} more)" if hidden > 0 else ""
        raise RosterFileError(
            f"{path} has {len(problems)} bad row(s), so nothing was published: {shown}{more}."
        )
    return facts


def hr_fact(row: Mapping[str, Any]) -> HrEvent:
    """One row as an HR fact; ValueError names the column and the problem."""
    cleaned = {
        key.strip(): value.strip() if isinstance(value, str) else value
        for key, value in row.items()
        if key is not None and value not in (None, "")
    }
    unknown = sorted(set(cleaned) - set(COLUMNS))
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
    event = cleaned.pop("event", "hired")
    if event not in _MODELS:
        raise ValueError(f"event must be hired, transferred or left, not {event!r}")
    if "effective_on" not in cleaned:
        raise ValueError("effective_on is missing (the day the change takes effect)")
    data = {name: cleaned[name] for name in _FIELDS[event] if name in cleaned}
    data[_DATE_FIELD[event]] = cleaned["effective_on"]
    ignored = sorted(set(cleaned) - set(_FIELDS[event]) - {"effective_on"})
    if ignored:
        raise ValueError(f"a {event} row does not take {', '.join(ignored)}")
    try:
        return _MODELS[event].model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "row"
            field = "effective_on" if field == _DATE_FIELD[event] else field
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{field}: {message}")
        raise ValueError("; ".join(problems)) from None


def _csv_rows(text: str, path: Path) -> Iterable[Row]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "employee_id" not in [f.strip() for f in reader.fieldnames]:
        raise RosterFileError(
            f"{path} must start with a header line naming its columns, employee_id among them "
            f"(columns: {', '.join(COLUMNS)})."
        )
    for row in reader:
        if None in row:
            yield reader.line_num, "more values than the header names"
            continue
        if any(isinstance(v, str) and v.strip() for v in row.values()):
            yield reader.line_num, row


def _json_rows(text: str, path: Path) -> Iterable[Row]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RosterFileError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    items = document.get("events") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise RosterFileError(f'{path} must hold a list of employees, or {{"events": [...]}}.')
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            yield number, "not a JSON object"
            continue
        yield (
            number,
            {
                key: str(value) if isinstance(value, int | float) else value
                for key, value in item.items()
            },
        )
