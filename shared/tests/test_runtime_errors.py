"""Error answers: domain refusals, bad requests and mapped kit errors share one JSON shape."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field, ValidationError
from structlog.testing import capture_logs

from daybook_shared.errors import Conflict, DomainError, Forbidden, InvalidCommand, NotFound
from daybook_shared.runtime.auth import JwtAuthenticator, Principal, get_principal, mint_token
from daybook_shared.runtime.errors import install_error_handlers
from daybook_shared.runtime.logging import CorrelationIdMiddleware

SECRET = "errors-test-secret-long-enough-for-hs256-0123456789"


class StreamVersionConflict(Exception):
    """Stands in for the event store's ConcurrencyError: the kit is mapped through `extra`."""


class IdempotencyConflictError(Exception):
    pass


class LateArrivalAfterStart(InvalidCommand):
    """A service's own refusal: it keeps the InvalidCommand kind and status."""


class LeaveRequest(BaseModel):
    employee_id: str = Field(min_length=1)
    first_day: date
    days: int = Field(ge=1, le=30)


class Approval(BaseModel):
    approver: str = Field(min_length=3)


def error_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(CorrelationIdMiddleware)
    app.state.authenticator = JwtAuthenticator(SECRET)
    install_error_handlers(
        app, extra={StreamVersionConflict: 409, IdempotencyConflictError: 422, ValidationError: 422}
    )
    refusals: dict[str, DomainError] = {
        "invalid": InvalidCommand("days must not overlap an approved leave", field="first_day"),
        "missing": NotFound("employee E9 is not on the roster"),
        "forbidden": Forbidden("E7 is not in your team", field="employee_id"),
        "conflict": Conflict("the leave was already approved"),
        "plain": DomainError("the rules refuse this"),
        "late": LateArrivalAfterStart("a late arrival must be requested before 09:00"),
    }

    @app.post("/refuse/{name}")
    async def refuse(name: str, principal: Annotated[Principal, Depends(get_principal)]) -> None:
        raise refusals[name]

    @app.post("/leave")
    async def leave(request: LeaveRequest, limit: int = 10) -> dict[str, str]:
        return {"employee_id": request.employee_id}

    @app.post("/conflict")
    async def conflict() -> None:
        raise StreamVersionConflict("stream employee-E1 moved on from version 3")

    @app.post("/reused-key")
    async def reused_key() -> None:
        raise IdempotencyConflictError("idempotency key k1 was used for a different command")

    @app.post("/approve")
    async def approve() -> None:
        Approval.model_validate({"approver": "x"})

    @app.post("/bug")
    async def bug() -> None:
        raise RuntimeError("unexpected")

    return app


async def post(
    path: str, *, token: bool = True, headers: dict[str, str] | None = None, **kwargs: object
) -> httpx.Response:
    headers = {"X-Correlation-ID": "corr-err-1", **(headers or {})}
    if token:
        headers["Authorization"] = "Bearer " + mint_token(SECRET, role="hr", subject="hr-1")
    transport = httpx.ASGITransport(app=error_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "status", "body"),
    [
        (
            "invalid",
            422,
            {
                "error": "invalid_command",
                "detail": "days must not overlap an approved leave",
                "field": "first_day",
            },
        ),
        (
            "missing",
            404,
            {"error": "not_found", "detail": "employee E9 is not on the roster", "field": None},
        ),
        (
            "forbidden",
            403,
            {"error": "forbidden", "detail": "E7 is not in your team", "field": "employee_id"},
        ),
        (
            "conflict",
            409,
            {"error": "conflict", "detail": "the leave was already approved", "field": None},
        ),
        ("plain", 400, {"error": "domain_error", "detail": "the rules refuse this", "field": None}),
        (
            "late",
            422,
            {
                "error": "invalid_command",
                "detail": "a late arrival must be requested before 09:00",
                "field": None,
            },
        ),
    ],
)
async def test_domain_refusals_get_their_status_and_sentence(
    name: str, status: int, body: dict[str, object]
) -> None:
    response = await post(f"/refuse/{name}")

    assert response.status_code == status
    assert response.json() == body


async def test_forbidden_is_logged_as_a_denial_with_the_subject() -> None:
    with capture_logs() as logs:
        await post("/refuse/forbidden")

    [denial] = [entry for entry in logs if entry["event"] == "access_denied"]
    assert denial["status"] == 403
    assert denial["path"] == "/refuse/forbidden"
    assert denial["subject"] == "hr-1"
    assert denial["reason"] == "E7 is not in your team"


def test_domain_error_carries_message_and_field() -> None:
    error = InvalidCommand("grace must be at most 60 minutes", field="grace_minutes")

    assert str(error) == "grace must be at most 60 minutes"
    assert (error.message, error.field, error.kind) == (
        "grace must be at most 60 minutes",
        "grace_minutes",
        "invalid_command",
    )


async def test_invalid_body_names_every_bad_field_and_why() -> None:
    response = await post(
        "/leave",
        params={"limit": "many"},
        json={"employee_id": "", "first_day": "2026-02-30", "days": 0, "customer_name": "Zhang"},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    problems = {problem["field"]: problem for problem in body["errors"]}
    assert set(problems) == {"body.employee_id", "body.first_day", "body.days", "query.limit"}
    assert problems["body.days"]["loc"] == ["body", "days"]
    assert problems["body.days"]["problem"] == "Input should be greater than or equal to 1"
    assert problems["query.limit"]["type"] == "int_parsing"
    assert body["field"] == body["errors"][0]["field"]
    assert body["detail"].startswith("the request is invalid: ")
    assert "body.first_day: " in body["detail"]
    assert "Zhang" not in response.text


async def test_missing_field_is_named() -> None:
    response = await post("/leave", json={"first_day": "2026-03-02", "days": 2})

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "body.employee_id",
            "loc": ["body", "employee_id"],
            "problem": "Field required",
            "type": "missing",
        }
    ]


async def test_malformed_json_says_where_and_why() -> None:
    response = await post(
        "/leave", content=b'{"employee_id": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["type"] == "json_invalid"
    assert problem["problem"].startswith("JSON decode error: ")


async def test_extra_mapping_gives_kit_errors_their_status() -> None:
    conflict = await post("/conflict")
    reused = await post("/reused-key")

    assert conflict.status_code == 409
    assert conflict.json() == {
        "error": "stream_version_conflict",
        "detail": "stream employee-E1 moved on from version 3",
        "field": None,
    }
    assert reused.status_code == 422
    assert reused.json()["error"] == "idempotency_conflict"


async def test_a_mapped_pydantic_error_lists_its_fields() -> None:
    response = await post("/approve")

    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["field"] == "approver"
    assert problem["type"] == "string_too_short"


async def test_auth_failures_share_the_shape_and_keep_the_challenge() -> None:
    response = await post("/refuse/missing", token=False)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthorized"
    assert "missing bearer token" in response.json()["detail"]


async def test_unknown_path_shares_the_shape() -> None:
    response = await post("/nowhere")

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found", "field": None}


async def test_unexpected_failure_is_500_with_the_correlation_id() -> None:
    with capture_logs() as logs:
        response = await post("/bug")

    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error"
    assert "corr-err-1" in body["detail"]
    assert "unexpected" not in body["detail"]
    assert response.headers["X-Correlation-ID"] == "corr-err-1"
    [failure] = [entry for entry in logs if entry["event"] == "request_failed"]
    assert failure["correlation_id"] == "corr-err-1"
    assert isinstance(failure["exc_info"], RuntimeError)
