"""Talking to the services over HTTP as a given person, with errors that read as sentences."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from daybook_cli.errors import CliError
from daybook_shared.runtime.auth import Role, mint_token
from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET

# A service restarting (the restart test, an operator's restart) refuses connections for a while;
# a request that never reached it is retried this long.
RECONNECT_PATIENCE_S = 60.0
CONFLICT_RETRIES = 5


@dataclass(frozen=True)
class Caller:
    """Who a request is made as: a role, and the roster id for employees and supervisors."""

    role: Role
    subject: str
    employee_id: str | None = None

    @classmethod
    def hr(cls, subject: str = "hr") -> Caller:
        return cls(Role.HR, subject)

    @classmethod
    def integration(cls, subject: str = "daybook-cli") -> Caller:
        return cls(Role.INTEGRATION, subject)

    @classmethod
    def employee(cls, employee_id: str) -> Caller:
        return cls(Role.EMPLOYEE, employee_id, employee_id)

    @classmethod
    def supervisor(cls, employee_id: str) -> Caller:
        return cls(Role.SUPERVISOR, employee_id, employee_id)


@dataclass
class Tokens:
    """Development tokens, minted once per caller (valid for 12 hours of wall-clock time)."""

    secret: str = DEVELOPMENT_JWT_SECRET
    _minted: dict[Caller, str] = field(default_factory=dict)

    def header(self, caller: Caller) -> dict[str, str]:
        token = self._minted.get(caller)
        if token is None:
            token = mint_token(
                self.secret,
                role=caller.role,
                subject=caller.subject,
                employee_id=caller.employee_id,
            )
            self._minted[caller] = token
        return {"Authorization": f"Bearer {token}"}


class ApiError(CliError):
    """A service refused a request; the message says which, why, and what was asked."""

    def __init__(self, service: str, method: str, path: str, status: int, detail: str) -> None:
        super().__init__(f"The {service} service refused {method} {path} ({status}): {detail}")
        self.service = service
        self.status = status
        self.detail = detail


def _is_concurrency_conflict(answer: httpx.Response) -> bool:
    if answer.status_code != 409:
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("error") == "concurrency"


def _detail(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text.strip()[:500] or answer.reason_phrase
    if isinstance(body, dict) and body.get("detail"):
        detail = body["detail"]
        return detail if isinstance(detail, str) else str(detail)
    return str(body)[:500]


class ServiceClient:
    """One service's HTTP API. Requests that never reached it are retried; a request with an
    `Idempotency-Key` is also retried when its answer was lost, since a retry records nothing."""

    def __init__(
        self,
        name: str,
        base_url: str,
        tokens: Tokens,
        *,
        timeout: float = 30.0,
        patience: float = RECONNECT_PATIENCE_S,
    ) -> None:
        self.name = name
        self.patience = patience
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        caller: Caller,
        *,
        json: Any = None,
        content: str | None = None,
        content_type: str | None = None,
        idempotency_key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        headers = self.tokens.header(caller)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if content_type is not None:
            headers["Content-Type"] = content_type
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        conflicts = 0
        while True:
            try:
                answer = await self._http.request(
                    method, path, headers=headers, json=json, content=content, params=params
                )
                if _is_concurrency_conflict(answer) and conflicts < CONFLICT_RETRIES:
                    # Another command appended to the same stream first and the service ran out
                    # of its own retries; nothing was stored, so asking again is safe.
                    conflicts += 1
                    await asyncio.sleep(0.05 * conflicts)
                    continue
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure: httpx.TransportError = exc
            except httpx.TransportError as exc:
                if idempotency_key is None:
                    raise CliError(
                        f"The {self.name} service at {self.base_url} did not answer "
                        f"{method} {path}: {type(exc).__name__}."
                    ) from exc
                failure = exc
            if loop.time() >= deadline:
                raise CliError(
                    f"Could not reach the {self.name} service at {self.base_url} "
                    f"({type(failure).__name__}); is it running?"
                ) from failure
            await asyncio.sleep(0.2)
        if answer.status_code >= 400:
            raise ApiError(self.name, method, path, answer.status_code, _detail(answer))
        if not answer.content:
            return None
        if answer.headers.get("content-type", "").startswith("application/json"):
            return answer.json()
        return answer.text


class Daybook:
    """The four services' clients, by name."""

    def __init__(
        self, urls: Mapping[str, str], tokens: Tokens, *, patience: float = RECONNECT_PATIENCE_S
    ) -> None:
        self.tokens = tokens
        self.clients = {
            name: ServiceClient(name, url, tokens, patience=patience) for name, url in urls.items()
        }

    def __getitem__(self, name: str) -> ServiceClient:
        return self.clients[name]

    @property
    def attendance(self) -> ServiceClient:
        return self.clients["attendance"]

    @property
    def reporting(self) -> ServiceClient:
        return self.clients["reporting"]

    @property
    def crm(self) -> ServiceClient:
        return self.clients["crm"]

    @property
    def appraisal(self) -> ServiceClient:
        return self.clients["appraisal"]

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def __aenter__(self) -> Daybook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
