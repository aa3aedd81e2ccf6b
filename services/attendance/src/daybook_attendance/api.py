"""HTTP API: validate, turn the request into a command or a query, answer.

Access (R-A1): employees clock, ask and read for themselves; supervisors approve, correct and read
for their own reports only (403 otherwise); hr does everything; the integration role (badge and
biometric devices, the scheduler) posts punches for anyone and may run the day close.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from datetime import date, time
from typing import Annotated, Any, Literal, Self
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from daybook_attendance import application, views
from daybook_attendance.application import PunchIn, UploadedPunch
from daybook_attendance.domain.calendar import CancelHoliday, DeclareHoliday
from daybook_attendance.domain.clocking import (
    CorrectDay,
    PunchToAdd,
    RequestEarlyLeave,
    RequestLateArrival,
    device_punch_id,
)
from daybook_attendance.domain.errors import UnknownEmployee
from daybook_attendance.domain.leave import RequestLeave
from daybook_attendance.domain.roster import Actor, RosterEntry, ensure_may_read
from daybook_attendance.domain.schedules import AssignWorkSchedule
from daybook_shared.contracts.attendance import (
    DeviceId,
    GraceMinutes,
    LeaveType,
    Reason,
    Weekday,
)
from daybook_shared.contracts.base import EmployeeId, ShortText, TeamId
from daybook_shared.contracts.hr import TimeZoneName
from daybook_shared.errors import Forbidden, InvalidCommand, NotFound
from daybook_shared.runtime.auth import Principal, Role, require_roles
from daybook_shared.runtime.service import Kit

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Retrying with the same key returns the first answer and stores nothing",
    ),
]

Person = Annotated[Principal, Depends(require_roles(Role.EMPLOYEE, Role.SUPERVISOR, Role.HR))]
Manager = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.HR))]
HrOnly = Annotated[Principal, Depends(require_roles(Role.HR))]
Device = Annotated[Principal, Depends(require_roles(Role.INTEGRATION))]
Operator = Annotated[Principal, Depends(require_roles(Role.HR, Role.INTEGRATION))]
Anyone = Annotated[
    Principal,
    Depends(require_roles(Role.EMPLOYEE, Role.SUPERVISOR, Role.HR, Role.INTEGRATION)),
]

EmployeeInPath = Annotated[EmployeeId, Path(description="The employee's roster id")]
Month = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
CSV_TYPES = ("text/csv",)


def actor_of(principal: Principal) -> Actor:
    return Actor(role=principal.role.value, employee_id=principal.employee_id)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduleIn(Body):
    """Hours are local wall-clock times in `timezone` (default: the employee's roster timezone)."""

    workdays: tuple[Weekday, ...] = Field(min_length=1, max_length=7)
    starts_at: time
    ends_at: time
    late_grace_minutes: GraceMinutes = 0
    early_grace_minutes: GraceMinutes = 0
    timezone: TimeZoneName | None = None
    effective_from: date

    @field_validator("workdays")
    @classmethod
    def _distinct(cls, days: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if len(set(days)) != len(days):
            raise ValueError("workdays lists a day twice")
        return days

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give a local time (HH:MM) and the zone in timezone")
        return value

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class HolidayIn(Body):
    holiday_date: date
    name: ShortText


class CancelIn(Body):
    reason: Reason


class DevicePunchIn(Body):
    """One punch from a badge or biometric device; `device_time` must carry its UTC offset."""

    employee_id: EmployeeId
    kind: Literal["in", "out"]
    device_id: DeviceId
    device_time: AwareDatetime


class UploadLine(Body):
    employee_id: EmployeeId
    kind: Literal["in", "out"]
    device_time: AwareDatetime


class LateArrivalIn(Body):
    """Ask before the scheduled start: a request made later is kept but never excuses (R-A1)."""

    work_date: date
    expected_arrival: AwareDatetime
    reason: Reason


class EarlyLeaveIn(Body):
    work_date: date
    leave_at: AwareDatetime
    reason: Reason


class LeaveIn(Body):
    first_day: date
    last_day: date
    leave_type: LeaveType
    reason: Reason


class DecisionIn(Body):
    note: ShortText | None = None


class PunchCorrectionIn(Body):
    kind: Literal["in", "out"]
    at: AwareDatetime


class CorrectionIn(Body):
    """A supervisor's correction: add missing punches, void wrong ones, always with a reason."""

    reason: Reason
    add: tuple[PunchCorrectionIn, ...] = Field(default=(), max_length=20)
    void: tuple[UUID, ...] = Field(default=(), max_length=20)


async def _readable_entry(kit: Kit, principal: Principal, employee_id: str) -> RosterEntry:
    assert kit.pool is not None
    entry = await views.roster_entry(kit.pool, employee_id)
    if entry is None:
        raise NotFound(f"unknown employee {employee_id!r}", field="employee_id")
    ensure_may_read(actor_of(principal), entry)
    return entry


def _ensure_self_or_hr(principal: Principal, supervisor_id: str) -> None:
    if principal.role is Role.HR or principal.employee_id == supervisor_id:
        return
    raise Forbidden(
        f"{principal.employee_id!r} may read only their own team, not {supervisor_id!r}"
    )


def build_router(*, upload_max_punches: int = 5000) -> APIRouter:
    router = APIRouter(tags=["attendance"])

    # Schedules and the holiday calendar (hr) ---------------------------------------------------

    @router.post("/employees/{employee_id}/schedules", status_code=201)
    async def assign_schedule(
        employee_id: EmployeeInPath,
        body: ScheduleIn,
        kit: Kit,
        principal: HrOnly,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        assert kit.pool is not None
        entry = await views.roster_entry(kit.pool, employee_id)
        if entry is None:
            raise UnknownEmployee(f"unknown employee {employee_id!r}", field="employee_id")
        command = AssignWorkSchedule(
            schedule_id=uuid4(),
            employee_id=employee_id,
            workdays=body.workdays,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            late_grace_minutes=body.late_grace_minutes,
            early_grace_minutes=body.early_grace_minutes,
            timezone=body.timezone or entry.timezone,
            effective_from=body.effective_from,
            assigned_at=kit.clock.now(),
        )
        outcome = await kit.execute(
            "assign_schedule",
            lambda uow: application.assign_schedule(uow, command),
            principal=principal,
            idempotency_key=idempotency_key,
            request=[employee_id, body.model_dump(mode="json")],
        )
        return outcome.response

    @router.get("/employees/{employee_id}/schedules")
    async def get_schedules(employee_id: EmployeeInPath, kit: Kit, principal: Person) -> Any:
        await _readable_entry(kit, principal, employee_id)
        assert kit.pool is not None
        return await views.schedules(kit.pool, employee_id)

    @router.post("/holidays", status_code=201)
    async def declare_holiday(body: HolidayIn, kit: Kit, principal: HrOnly) -> Any:
        command = DeclareHoliday(body.holiday_date, body.name, kit.clock.now())
        outcome = await kit.execute(
            "declare_holiday",
            lambda uow: application.declare_holiday(uow, command),
            principal=principal,
        )
        return outcome.response

    @router.post("/holidays/{holiday_date}/cancel")
    async def cancel_holiday(
        holiday_date: date, body: CancelIn, kit: Kit, principal: HrOnly
    ) -> Any:
        command = CancelHoliday(holiday_date, body.reason, kit.clock.now())
        outcome = await kit.execute(
            "cancel_holiday",
            lambda uow: application.cancel_holiday(uow, command),
            principal=principal,
        )
        return outcome.response

    @router.get("/holidays")
    async def list_holidays(
        kit: Kit, principal: Anyone, year: Annotated[int, Query(ge=1970, le=2200)]
    ) -> Any:
        assert kit.pool is not None
        return await views.holidays(kit.pool, year)

    # Clocking ---------------------------------------------------------------------------------

    async def web_punch(
        kind: Literal["in", "out"],
        employee_id: str,
        kit: Kit,
        principal: Principal,
        response: Response,
        idempotency_key: str | None,
    ) -> Any:
        now = kit.clock.now()
        punch = PunchIn(
            employee_id=employee_id,
            kind=kind,
            at=now,
            source="web",
            received_at=now,
            punch_id=uuid4(),
        )
        outcome = await kit.execute(
            f"clock_{kind}",
            lambda uow: application.record_punch(uow, actor_of(principal), punch),
            principal=principal,
            idempotency_key=idempotency_key,
            request=[employee_id, kind],
        )
        response.status_code = 201 if not outcome.replayed else 200
        return outcome.response

    @router.post("/employees/{employee_id}/clock-in", status_code=201)
    async def clock_in(
        employee_id: EmployeeInPath,
        kit: Kit,
        principal: Person,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        """Clock in now (the server's time is the punch's time)."""
        return await web_punch("in", employee_id, kit, principal, response, idempotency_key)

    @router.post("/employees/{employee_id}/clock-out", status_code=201)
    async def clock_out(
        employee_id: EmployeeInPath,
        kit: Kit,
        principal: Person,
        response: Response,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        """Clock out now; refused (422) without a clock-in before it that day."""
        return await web_punch("out", employee_id, kit, principal, response, idempotency_key)

    @router.post("/punches")
    async def device_punch(
        body: DevicePunchIn, kit: Kit, principal: Device, response: Response
    ) -> Any:
        """One punch from a device: device time and receive time are both kept; the same punch
        sent again is a duplicate (200) and changes nothing."""
        punch = PunchIn(
            employee_id=body.employee_id,
            kind=body.kind,
            at=body.device_time,
            source="device",
            received_at=kit.clock.now(),
            punch_id=device_punch_id(body.device_id, body.employee_id, body.kind, body.device_time),
            device_id=body.device_id,
            device_time=body.device_time,
        )
        outcome = await kit.execute(
            "device_punch",
            lambda uow: application.record_punch(uow, actor_of(principal), punch),
            principal=principal,
        )
        response.status_code = 201 if outcome.response["status"] == "recorded" else 200
        return outcome.response

    @router.post(
        "/devices/{device_id}/punches",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-ndjson": {"schema": UploadLine.model_json_schema()},
                    "text/csv": {
                        "schema": {
                            "type": "string",
                            "description": "header `employee_id,kind,device_time`, a punch a line",
                        }
                    },
                },
            }
        },
    )
    async def upload_punches(
        device_id: Annotated[DeviceId, Path()],
        request: Request,
        kit: Kit,
        principal: Device,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        """A device's punches in bulk, as JSON lines or CSV: all stored or none (422 naming every
        bad line); each punch is idempotent, so a re-upload records nothing twice."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        text = (await request.body()).decode("utf-8-sig", errors="replace")
        lines = _parse_upload(text, content_type, upload_max_punches)
        received_at = kit.clock.now()
        punches = [
            UploadedPunch(
                line=number,
                punch=PunchIn(
                    employee_id=line.employee_id,
                    kind=line.kind,
                    at=line.device_time,
                    source="import",
                    received_at=received_at,
                    punch_id=device_punch_id(
                        device_id, line.employee_id, line.kind, line.device_time
                    ),
                    device_id=device_id,
                    device_time=line.device_time,
                ),
            )
            for number, line in lines
        ]
        outcome = await kit.execute(
            "upload_punches",
            lambda uow: application.record_uploaded_punches(uow, actor_of(principal), punches),
            principal=principal,
            idempotency_key=idempotency_key,
            request=[device_id, text],
        )
        return outcome.response

    # Requests ---------------------------------------------------------------------------------

    @router.post("/employees/{employee_id}/late-arrival-requests", status_code=201)
    async def request_late_arrival(
        employee_id: EmployeeInPath,
        body: LateArrivalIn,
        kit: Kit,
        principal: Person,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        command = RequestLateArrival(
            employee_id=employee_id,
            work_date=body.work_date,
            request_id=uuid4(),
            expected_arrival=body.expected_arrival,
            reason=body.reason,
            requested_at=kit.clock.now(),
        )
        outcome = await kit.execute(
            "request_late_arrival",
            lambda uow: application.request_late_arrival(uow, actor_of(principal), command),
            principal=principal,
            idempotency_key=idempotency_key,
            request=[employee_id, body.model_dump(mode="json")],
        )
        return outcome.response

    @router.post("/employees/{employee_id}/early-leave-requests", status_code=201)
    async def request_early_leave(
        employee_id: EmployeeInPath,
        body: EarlyLeaveIn,
        kit: Kit,
        principal: Person,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        command = RequestEarlyLeave(
            employee_id=employee_id,
            work_date=body.work_date,
            request_id=uuid4(),
            leave_at=body.leave_at,
            reason=body.reason,
            requested_at=kit.clock.now(),
        )
        outcome = await kit.execute(
            "request_early_leave",
            lambda uow: application.request_early_leave(uow, actor_of(principal), command),
            principal=principal,
            idempotency_key=idempotency_key,
            request=[employee_id, body.model_dump(mode="json")],
        )
        return outcome.response

    @router.post("/employees/{employee_id}/leave-requests", status_code=201)
    async def request_leave(
        employee_id: EmployeeInPath,
        body: LeaveIn,
        kit: Kit,
        principal: Person,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        command = RequestLeave(
            request_id=uuid4(),
            employee_id=employee_id,
            first_day=body.first_day,
            last_day=body.last_day,
            leave_type=body.leave_type,
            reason=body.reason,
            requested_at=kit.clock.now(),
        )
        outcome = await kit.execute(
            "request_leave",
            lambda uow: application.request_leave(uow, actor_of(principal), command),
            principal=principal,
            idempotency_key=idempotency_key,
            request=[employee_id, body.model_dump(mode="json")],
        )
        return outcome.response

    async def decide(
        request_id: UUID, approve: bool, body: DecisionIn, kit: Kit, principal: Principal
    ) -> Any:
        outcome = await kit.execute(
            "approve_request" if approve else "reject_request",
            lambda uow: application.decide_request(
                uow,
                actor_of(principal),
                request_id=request_id,
                approve=approve,
                note=body.note,
                decided_at=kit.clock.now(),
            ),
            principal=principal,
        )
        return outcome.response

    @router.post("/requests/{request_id}/approve")
    async def approve_request(
        request_id: UUID, kit: Kit, principal: Manager, body: DecisionIn | None = None
    ) -> Any:
        """The employee's own supervisor (or hr) approves a late-arrival, early-leave or leave
        request; anyone else gets 403."""
        return await decide(request_id, True, body or DecisionIn(), kit, principal)

    @router.post("/requests/{request_id}/reject")
    async def reject_request(
        request_id: UUID, kit: Kit, principal: Manager, body: DecisionIn | None = None
    ) -> Any:
        return await decide(request_id, False, body or DecisionIn(), kit, principal)

    # Corrections and the day close ------------------------------------------------------------

    @router.post("/employees/{employee_id}/days/{work_date}/corrections", status_code=201)
    async def correct_day(
        employee_id: EmployeeInPath,
        work_date: date,
        body: CorrectionIn,
        kit: Kit,
        principal: Manager,
        idempotency_key: IdempotencyKey = None,
    ) -> Any:
        command = CorrectDay(
            employee_id=employee_id,
            work_date=work_date,
            correction_id=uuid4(),
            reason=body.reason,
            corrected_by=principal.employee_id or "hr",
            corrected_at=kit.clock.now(),
            add=tuple(PunchToAdd(p.kind, p.at) for p in body.add),
            void=body.void,
        )
        outcome = await kit.execute(
            "correct_day",
            lambda uow: application.correct_day(uow, actor_of(principal), command),
            principal=principal,
            idempotency_key=idempotency_key,
            request=[employee_id, work_date.isoformat(), body.model_dump(mode="json")],
        )
        return outcome.response

    @router.post("/employees/{employee_id}/days/{work_date}/close")
    async def close_day(
        employee_id: EmployeeInPath, work_date: date, kit: Kit, principal: Operator
    ) -> Any:
        """Close one day now (409 before the day has ended in the employee's timezone)."""
        now = kit.clock.now()
        outcome = await kit.execute(
            "close_day",
            lambda uow: application.close_day(
                uow, employee_id=employee_id, work_date=work_date, now=now
            ),
            principal=principal,
        )
        return outcome.response

    @router.post("/day-close")
    async def run_day_close(kit: Kit, principal: Operator) -> Any:
        """Run the scheduled day close now: every ended, unclosed day of every employee."""
        return await application.close_due_days(kit)

    # Queries ----------------------------------------------------------------------------------

    @router.get("/employees/{employee_id}/months/{month}")
    async def employee_month(
        employee_id: EmployeeInPath, month: Month, kit: Kit, principal: Person
    ) -> Any:
        await _readable_entry(kit, principal, employee_id)
        year, number = (int(part) for part in month.split("-"))
        last = calendar.monthrange(year, number)[1]
        assert kit.pool is not None
        return await views.employee_month(
            kit.pool, employee_id, date(year, number, 1), date(year, number, last)
        )

    @router.get("/employees/{employee_id}/days/{work_date}")
    async def employee_day(
        employee_id: EmployeeInPath, work_date: date, kit: Kit, principal: Person
    ) -> Any:
        await _readable_entry(kit, principal, employee_id)
        assert kit.pool is not None
        return await views.employee_day(kit.pool, employee_id, work_date)

    @router.get("/supervisors/{supervisor_id}/team/days/{work_date}")
    async def supervisor_team_day(
        supervisor_id: Annotated[EmployeeId, Path()], work_date: date, kit: Kit, principal: Manager
    ) -> Any:
        """The day of everyone reporting to the supervisor, punched or not."""
        _ensure_self_or_hr(principal, supervisor_id)
        assert kit.pool is not None
        return await views.team_day(kit.pool, work_date, supervisor_id=supervisor_id, team_id=None)

    @router.get("/teams/{team_id}/days/{work_date}")
    async def team_day(
        team_id: Annotated[TeamId, Path()], work_date: date, kit: Kit, principal: Manager
    ) -> Any:
        """A team's day: all of it for hr, a supervisor's own reports in it for a supervisor."""
        assert kit.pool is not None
        supervisor_id = None if principal.role is Role.HR else principal.employee_id
        answer = await views.team_day(
            kit.pool, work_date, supervisor_id=supervisor_id, team_id=team_id
        )
        if supervisor_id is not None and not answer["members"]:
            raise Forbidden(f"{supervisor_id!r} supervises nobody in team {team_id!r}")
        return answer

    @router.get("/supervisors/{supervisor_id}/pending-requests")
    async def pending_requests(
        supervisor_id: Annotated[EmployeeId, Path()], kit: Kit, principal: Manager
    ) -> Any:
        """Late-arrival, early-leave and leave requests awaiting this supervisor's decision."""
        _ensure_self_or_hr(principal, supervisor_id)
        assert kit.pool is not None
        return await views.pending_requests(kit.pool, supervisor_id)

    return router


def _parse_upload(text: str, content_type: str, limit: int) -> list[tuple[int, UploadLine]]:
    """Every line checked before anything is stored; the problems name their line numbers."""
    if content_type in NDJSON_TYPES:
        raw = _json_lines(text)
    elif content_type in CSV_TYPES:
        raw = _csv_lines(text)
    else:
        raise InvalidCommand(
            f"send the punches as JSON lines ({NDJSON_TYPES[0]}) or CSV (text/csv), "
            f"not {content_type or 'no content type'!r}",
            field="content-type",
        )
    if not raw:
        raise InvalidCommand("the upload holds no punches", field="body")
    if len(raw) > limit:
        raise InvalidCommand(
            f"the upload holds {len(raw)} punches; send at most {limit} at a time", field="body"
        )
    parsed: list[tuple[int, UploadLine]] = []
    problems: list[str] = []
    for number, item in raw:
        if isinstance(item, str):
            problems.append(f"line {number}: {item}")
            continue
        try:
            parsed.append((number, UploadLine.model_validate(item)))
        except ValidationError as exc:
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"]) or "line"
                message = str(error["msg"]).removeprefix("Value error, ")
                problems.append(f"line {number}: {where}: {message}")
    if problems:
        raise InvalidCommand(
            f"{len(problems)} problem(s), nothing stored: " + "; ".join(problems[:50]),
            field="body",
        )
    return parsed


def _json_lines(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    lines: list[tuple[int, dict[str, Any] | str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            lines.append((number, f"not JSON ({exc.msg})"))
            continue
        lines.append((number, item if isinstance(item, dict) else "not a JSON object"))
    return lines


def _csv_lines(text: str) -> list[tuple[int, dict[str, Any] | str]]:
    reader = csv.DictReader(io.StringIO(text), restkey="_extra")
    expected = {"employee_id", "kind", "device_time"}
    header = set(reader.fieldnames or ())
    if not expected <= header:
        missing = ", ".join(sorted(expected - header))
        raise InvalidCommand(
            f"the CSV header must name employee_id, kind and device_time (missing: {missing})",
            field="body",
        )
    lines: list[tuple[int, dict[str, Any] | str]] = []
    for row in reader:
        if not any(isinstance(value, str) and value.strip() for value in row.values()):
            continue
        if row.get("_extra"):
            lines.append((reader.line_num, "more values than the header names"))
            continue
        lines.append((reader.line_num, {key: row[key] for key in expected}))
    return lines
