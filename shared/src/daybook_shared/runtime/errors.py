"""One JSON shape for every error a service answers with.

Every error body is `{"error": <kind>, "detail": <sentence>, "field": <field or null>}`; a request
that fails validation adds `"errors"`, one entry per bad field. Domain refusals map to their status
here, so routes only raise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from daybook_shared.errors import Conflict, DomainError, Forbidden, InvalidCommand, NotFound
from daybook_shared.runtime.logging import CORRELATION_ID_HEADER, CORRELATION_ID_KEY

_log = structlog.get_logger("daybook.errors")

DOMAIN_ERROR_STATUS: Mapping[type[DomainError], int] = {
    InvalidCommand: 422,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    DomainError: 400,
}

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# Pydantic prefixes a validator's own message; the caller needs only the message.
_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")
_MAX_PROBLEMS_IN_DETAIL = 5


def error_body(kind: str, detail: Any, field: str | None = None, **more: Any) -> dict[str, Any]:
    return {"error": kind, "detail": detail, "field": field, **more}


def _status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in DOMAIN_ERROR_STATUS:
            return DOMAIN_ERROR_STATUS[cls]
    return 400


def _kind_of(exc_type: type[BaseException]) -> str:
    """`IdempotencyConflictError` -> `idempotency_conflict`."""
    name = exc_type.__name__.removesuffix("Error") or exc_type.__name__
    return _CAMEL.sub("_", name).lower()


def _subject(request: Request) -> str | None:
    principal = getattr(request.state, "principal", None)
    return getattr(principal, "subject", None)


def _readable_problem(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    for prefix in _PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    reason = (error.get("ctx") or {}).get("error")
    if error.get("type") == "json_invalid" and reason:
        message = f"{message}: {reason}"
    return message


def field_problems(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors as `{"field", "loc", "problem", "type"}`; the rejected input is left out
    (it may be personal data, and the caller has it already)."""
    return [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())) or None,
            "loc": list(error.get("loc", ())),
            "problem": _readable_problem(error),
            "type": error.get("type"),
        }
        for error in errors
    ]


def _validation_response(problems: list[dict[str, Any]]) -> JSONResponse:
    shown = "; ".join(
        f"{p['field']}: {p['problem']}" if p["field"] else p["problem"]
        for p in problems[:_MAX_PROBLEMS_IN_DETAIL]
    )
    hidden = len(problems) - _MAX_PROBLEMS_IN_DETAIL
    if hidden > 0:
        shown += f"; and {hidden} more"
    return JSONResponse(
        status_code=422,
        content=error_body(
            "invalid_request",
            f"the request is invalid: {shown}",
            problems[0]["field"] if problems else None,
            errors=problems,
        ),
    )


def install_error_handlers(
    app: FastAPI, extra: Mapping[type[Exception], int] | None = None
) -> None:
    """Map errors to JSON answers on `app`.

    - `DomainError` kinds: `InvalidCommand` 422, `NotFound` 404, `Forbidden` 403 (logged as a
      denial), `Conflict` 409, any other `DomainError` 400.
    - `RequestValidationError`: 422 naming each bad field (FastAPI's location, `body.name`).
    - `HTTPException` (401 and 403 from auth, 404 for an unknown path): the same shape, headers kept.
    - `extra`: more exception types and their status, for example the event store's
      `{ConcurrencyError: 409, IdempotencyConflictError: 422}`; the kind is the class name in
      snake case without `Error`, the detail is the exception's message.
    - Anything else: 500 with the correlation id to find the logged traceback.
    """

    async def domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        status = _status_of(exc)
        if isinstance(exc, Forbidden):
            _log.warning(
                "access_denied",
                status=status,
                method=request.method,
                path=request.url.path,
                reason=exc.message,
                subject=_subject(request),
            )
        else:
            _log.info("command_refused", status=status, kind=exc.kind, detail=exc.message)
        return JSONResponse(
            status_code=status, content=error_body(exc.kind, exc.message, exc.field)
        )

    async def request_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_response(field_problems(exc.errors()))

    async def http_exception(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        try:
            kind = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        except ValueError:
            kind = "http_error"
        return JSONResponse(
            status_code=exc.status_code,
            content=error_body(kind, exc.detail),
            headers=exc.headers,
        )

    def mapped_error(status: int) -> Any:
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            if isinstance(exc, ValidationError):
                return _validation_response(field_problems(exc.errors()))
            detail = str(exc) or HTTPStatus(status).phrase
            _log.info("request_refused", status=status, kind=_kind_of(type(exc)), detail=detail)
            return JSONResponse(status_code=status, content=error_body(_kind_of(type(exc)), detail))

        return handler

    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        correlation_id = getattr(request.state, CORRELATION_ID_KEY, None)
        _log.error(
            "request_failed",
            method=request.method,
            path=request.url.path,
            correlation_id=correlation_id,
            exc_info=exc,
        )
        detail = "the server failed to handle the request"
        if correlation_id:
            detail += f"; the error is logged under correlation id {correlation_id}"
        return JSONResponse(
            status_code=500,
            content=error_body("internal_error", detail),
            headers={CORRELATION_ID_HEADER: correlation_id} if correlation_id else None,
        )

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, request_validation_error)
    app.add_exception_handler(StarletteHTTPException, http_exception)
    for exc_type, status in (extra or {}).items():
        app.add_exception_handler(exc_type, mapped_error(status))
    app.add_exception_handler(Exception, unexpected_error)
