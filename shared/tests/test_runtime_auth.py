"""JWT bearer auth: who may call, with which role, and a logged reason for every denial."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI
from structlog.testing import capture_logs

from daybook_shared.runtime.auth import (
    AuthenticationError,
    JwtAuthenticator,
    Principal,
    Role,
    get_principal,
    mint_token,
    require_roles,
)
from daybook_shared.runtime.settings import ServiceSettings

SECRET = "test-secret-long-enough-for-every-hmac-algorithm-even-hs512-0123456789"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[str, str]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def _b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def authenticator() -> JwtAuthenticator:
    return JwtAuthenticator(SECRET)


def test_employee_token_names_the_employee() -> None:
    token = mint_token(SECRET, role=Role.EMPLOYEE, subject="alice", employee_id="E1")

    assert authenticator().decode(token) == Principal("alice", Role.EMPLOYEE, "E1")


@pytest.mark.parametrize(
    ("role", "employee_id"),
    [(Role.SUPERVISOR, "E9"), (Role.HR, None), (Role.INTEGRATION, None), ("hr", "E3")],
)
def test_every_role_decodes(role: Role | str, employee_id: str | None) -> None:
    token = mint_token(SECRET, role=role, subject="someone", employee_id=employee_id)

    principal = authenticator().decode(token)

    assert principal.role == Role(role)
    assert principal.employee_id == employee_id


def test_principal_is_immutable() -> None:
    principal = Principal("alice", Role.HR)
    with pytest.raises(AttributeError):
        principal.role = Role.EMPLOYEE  # type: ignore[misc]


def claims(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "sub": "alice",
        "role": "employee",
        "employee_id": "E1",
        "iat": NOW,
        "exp": NOW + timedelta(hours=1),
        "iss": "daybook",
        "aud": "daybook",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (
            mint_token(SECRET, role="hr", subject="a", now=NOW - timedelta(days=1)),
            "token has expired",
        ),
        (
            mint_token(SECRET, role="hr", subject="a", now=NOW + timedelta(hours=1)),
            "not valid yet",
        ),
        (mint_token(SECRET, role="hr", subject="a", issuer="elsewhere"), "not issued by 'daybook'"),
        (mint_token(SECRET, role="hr", subject="a", audience="other"), "audience 'daybook'"),
        (mint_token("another-secret-of-sufficient-length!!", role="hr", subject="a"), "signature"),
        ("not-a-jwt", "malformed"),
        (jwt.encode(claims(role=None), SECRET), "lacks the 'role' claim"),
        (jwt.encode(claims(exp=None), SECRET), "lacks the 'exp' claim"),
        (jwt.encode(claims(sub=None), SECRET), "lacks the 'sub' claim"),
        (jwt.encode(claims(role="admin"), SECRET), "role 'admin' is not one of"),
        (jwt.encode(claims(employee_id=None), SECRET), "must carry the 'employee_id' claim"),
        (jwt.encode(claims(role="supervisor", employee_id=""), SECRET), "employee_id"),
        (jwt.encode(claims(), SECRET, algorithm="HS512"), "algorithm is not accepted"),
        (jwt.encode(claims(), None, algorithm="none"), "algorithm is not accepted"),
    ],
)
def test_untrustworthy_tokens_are_refused_with_a_reason(token: str, reason: str) -> None:
    with pytest.raises(AuthenticationError, match=reason):
        authenticator().decode(token)


def test_clock_skew_within_leeway_is_tolerated() -> None:
    token = mint_token(SECRET, role="hr", subject="a", now=NOW + timedelta(seconds=5))

    assert authenticator().decode(token).subject == "a"


def test_minting_refuses_a_person_role_without_employee() -> None:
    with pytest.raises(ValueError, match="needs an employee_id"):
        mint_token(SECRET, role=Role.SUPERVISOR, subject="bob")


def test_minting_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        mint_token(SECRET, role=Role.HR, subject="h", now=datetime(2026, 1, 1))


def test_minted_token_lives_for_its_ttl() -> None:
    token = mint_token(SECRET, role=Role.HR, subject="h", now=NOW, ttl=timedelta(minutes=5))

    decoded = jwt.decode(token, SECRET, algorithms=["HS256"], audience="daybook")

    assert decoded["exp"] - decoded["iat"] == 300


def test_rs256_tokens_verify_with_the_public_key(rsa_keys: tuple[str, str]) -> None:
    private_pem, public_pem = rsa_keys
    token = mint_token(
        private_pem, role=Role.INTEGRATION, subject="badge-reader-3", algorithm="RS256"
    )

    principal = JwtAuthenticator(public_pem, algorithms=("RS256",)).decode(token)

    assert principal == Principal("badge-reader-3", Role.INTEGRATION)


def test_rs256_authenticator_refuses_an_hmac_token_signed_with_its_public_key(
    rsa_keys: tuple[str, str],
) -> None:
    _, public_pem = rsa_keys
    # The classic confusion attack: the public key, known to all, used as an HMAC secret.
    header = _b64({"alg": "HS256", "typ": "JWT"})
    payload = _b64(
        {**claims(role="hr"), "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 600}
    )
    signature = hmac.new(public_pem.encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    forged = (
        f"{header}.{payload}.{base64.urlsafe_b64encode(signature.digest()).rstrip(b'=').decode()}"
    )

    with pytest.raises(AuthenticationError, match="algorithm is not accepted"):
        JwtAuthenticator(public_pem, algorithms=("RS256",)).decode(forged)


def test_rs256_authenticator_refuses_a_private_key(rsa_keys: tuple[str, str]) -> None:
    private_pem, _ = rsa_keys
    with pytest.raises(ValueError, match="public key"):
        JwtAuthenticator(private_pem, algorithms=("RS256",))


def test_algorithm_families_are_never_mixed() -> None:
    with pytest.raises(ValueError, match="all be HMAC"):
        JwtAuthenticator(SECRET, algorithms=("HS256", "RS256"))


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        JwtAuthenticator("")


def test_authenticator_from_development_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DAYBOOK_JWT_SECRET", "DAYBOOK_JWT_PUBLIC_KEY", "DAYBOOK_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = ServiceSettings(service_name="crm", jwt_issuer="corp", jwt_audience="crm")
    assert settings.jwt_secret is not None
    token = mint_token(settings.jwt_secret, role="hr", subject="h", issuer="corp", audience="crm")

    assert JwtAuthenticator.from_settings(settings).decode(token).subject == "h"


def test_authenticator_from_settings_with_public_key(
    rsa_keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAYBOOK_JWT_SECRET", raising=False)
    private_pem, public_pem = rsa_keys
    settings = ServiceSettings(
        service_name="crm", environment="production", jwt_public_key=public_pem
    )
    token = mint_token(private_pem, role="hr", subject="h", algorithm="RS256")

    authenticator = JwtAuthenticator.from_settings(settings)

    assert authenticator.algorithms == ("RS256",)
    assert authenticator.decode(token).subject == "h"


def guarded_app() -> FastAPI:
    app = FastAPI()
    app.state.authenticator = authenticator()

    @app.get("/me")
    async def me(principal: Annotated[Principal, Depends(get_principal)]) -> dict[str, str | None]:
        return {
            "subject": principal.subject,
            "role": principal.role,
            "employee": principal.employee_id,
        }

    @app.post("/teams/{team_id}/close")
    async def close_team(
        team_id: str,
        principal: Annotated[Principal, Depends(require_roles(Role.HR, Role.SUPERVISOR))],
    ) -> dict[str, str]:
        return {"closed_by": principal.subject, "team": team_id}

    return app


async def request(
    method: str, path: str, token: str | None = None, scheme: str = "Bearer"
) -> httpx.Response:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    transport = httpx.ASGITransport(app=guarded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, headers=headers)


async def test_valid_token_reaches_the_route() -> None:
    token = mint_token(SECRET, role=Role.EMPLOYEE, subject="alice", employee_id="E1")

    response = await request("GET", "/me", token)

    assert response.status_code == 200
    assert response.json() == {"subject": "alice", "role": "employee", "employee": "E1"}


async def test_missing_token_is_401_with_a_bearer_challenge_and_is_logged() -> None:
    with capture_logs() as logs:
        response = await request("GET", "/me")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "missing bearer token" in response.json()["detail"]
    [denial] = [entry for entry in logs if entry["event"] == "access_denied"]
    assert denial["path"] == "/me"
    assert denial["status"] == 401
    assert denial["subject"] is None
    assert "missing bearer token" in denial["reason"]


async def test_other_auth_scheme_is_401_naming_the_expected_form() -> None:
    response = await request("GET", "/me", "dXNlcjpwYXNz", scheme="Basic")

    assert response.status_code == 401
    assert response.json()["detail"] == "Authorization header must be 'Bearer <token>'"


async def test_expired_token_is_401_invalid_token_and_logs_the_claimed_subject() -> None:
    token = mint_token(SECRET, role=Role.HR, subject="hr-1", now=NOW - timedelta(days=2))

    with capture_logs() as logs:
        response = await request("GET", "/me", token)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["detail"] == "token has expired"
    [denial] = [entry for entry in logs if entry["event"] == "access_denied"]
    assert (denial["subject"], denial["reason"]) == ("hr-1", "token has expired")


async def test_forged_token_is_401() -> None:
    token = mint_token("a-different-secret-that-is-long-enough", role=Role.HR, subject="mallory")

    response = await request("GET", "/me", token)

    assert response.status_code == 401
    assert response.json()["detail"] == "token signature is invalid"


async def test_allowed_role_passes_the_role_check() -> None:
    token = mint_token(SECRET, role=Role.SUPERVISOR, subject="sup-1", employee_id="E5")

    response = await request("POST", "/teams/T1/close", token)

    assert response.status_code == 200
    assert response.json() == {"closed_by": "sup-1", "team": "T1"}


async def test_other_role_is_403_and_logged() -> None:
    token = mint_token(SECRET, role=Role.EMPLOYEE, subject="alice", employee_id="E1")

    with capture_logs() as logs:
        response = await request("POST", "/teams/T1/close", token)

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "role 'employee' may not do this; allowed roles: hr, supervisor"
    )
    [denial] = [entry for entry in logs if entry["event"] == "access_denied"]
    assert denial["status"] == 403
    assert denial["path"] == "/teams/T1/close"
    assert denial["subject"] == "alice"


async def test_role_check_still_needs_a_token() -> None:
    response = await request("POST", "/teams/T1/close")

    assert response.status_code == 401


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles()


async def test_missing_authenticator_is_a_wiring_error() -> None:
    app = FastAPI()

    @app.get("/me")
    async def me(principal: Annotated[Principal, Depends(get_principal)]) -> str:
        return principal.subject

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(RuntimeError, match=r"app\.state\.authenticator"):
            await client.get("/me", headers={"Authorization": "Bearer x"})
