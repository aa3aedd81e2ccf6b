"""Reading a bulk CSV of customers: every bad row reported by its line, the good rows kept.

The format (documented in docs/crm-integration.md): a header line naming the columns, then one
customer a row. `external_id`, `owner_employee_id` and `name` are required; the other columns are
the record's optional fields. Line numbers are the file's own (the header is line 1), so a person
can open the file and find the row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from daybook_crm.domain.customers import PROFILE_FIELDS, normalised, profile_problems
from daybook_shared.errors import InvalidCommand

REQUIRED_COLUMNS: tuple[str, ...] = ("external_id", "owner_employee_id", "name")
COLUMNS: tuple[str, ...] = ("external_id", "owner_employee_id", *PROFILE_FIELDS)
MAX_ROWS = 50_000
_EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_EXTERNAL_ID_MAX = 200


@dataclass(frozen=True)
class ImportRow:
    line: int
    external_id: str
    owner_id: str
    profile: dict[str, str]


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str | None
    problem: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "field": self.field, "problem": self.problem}


@dataclass
class ParsedImport:
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def parse_customer_csv(text: str) -> ParsedImport:
    """Rows that passed every check, and a problem for each check a row failed.

    A file whose header is wrong is refused as a whole (`InvalidCommand`, field `header`):
    no row can be read without it.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = _read_header(reader)
    parsed = ParsedImport()
    first_line_of: dict[str, int] = {}
    rows_read = 0
    while True:
        row_line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot find the next row boundary reliably after this.
            parsed.problems.append(
                RowProblem(
                    row_line, None, f"unreadable CSV ({exc}); the rows after it were not read"
                )
            )
            break
        if not any(value.strip() for value in values):
            continue
        rows_read += 1
        if rows_read > MAX_ROWS:
            raise InvalidCommand(f"the file has more than {MAX_ROWS} rows; split it", field="file")
        _read_row(row_line, header, values, parsed, first_line_of)
    if not parsed.rows and not parsed.problems:
        raise InvalidCommand("the file has a header but no rows", field="file")
    return parsed


def _read_header(reader: csv.Reader) -> list[str]:  # type: ignore[name-defined]
    try:
        raw = next(reader)
    except StopIteration:
        raise InvalidCommand(
            "the file is empty; line 1 must be the header", field="header"
        ) from None
    except csv.Error as exc:
        raise InvalidCommand(f"line 1: {exc}", field="header") from exc
    header = [name.strip().lower() for name in raw]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise InvalidCommand(
            f"line 1: unknown column {unknown[0]!r}; columns are {', '.join(COLUMNS)}",
            field="header",
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InvalidCommand(f"line 1: column {repeated[0]!r} appears twice", field="header")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise InvalidCommand(f"line 1: required column {missing[0]!r} is missing", field="header")
    return header


def _read_row(
    line: int,
    header: list[str],
    values: list[str],
    parsed: ParsedImport,
    first_line_of: dict[str, int],
) -> None:
    if len(values) != len(header):
        parsed.problems.append(
            RowProblem(line, None, f"the row has {len(values)} fields, the header {len(header)}")
        )
        return
    cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
    problems: list[RowProblem] = []
    external_id = cells.pop("external_id")
    owner_id = cells.pop("owner_employee_id")
    if not external_id:
        problems.append(RowProblem(line, "external_id", "external_id is required"))
    elif len(external_id) > _EXTERNAL_ID_MAX:
        problems.append(
            RowProblem(
                line, "external_id", f"external_id is longer than {_EXTERNAL_ID_MAX} characters"
            )
        )
    elif external_id in first_line_of:
        problems.append(
            RowProblem(
                line,
                "external_id",
                f"external_id {external_id!r} already appears on line {first_line_of[external_id]}",
            )
        )
    if not owner_id:
        problems.append(RowProblem(line, "owner_employee_id", "owner_employee_id is required"))
    elif not _EMPLOYEE_ID.match(owner_id):
        problems.append(
            RowProblem(
                line,
                "owner_employee_id",
                "owner_employee_id must be letters, digits, '-' or '_' (at most 64)",
            )
        )
    profile = normalised(cells)
    problems.extend(RowProblem(line, name, message) for name, message in profile_problems(profile))
    if external_id and external_id not in first_line_of:
        first_line_of[external_id] = line
    if problems:
        parsed.problems.extend(problems)
        return
    parsed.rows.append(ImportRow(line, external_id, owner_id, profile))
