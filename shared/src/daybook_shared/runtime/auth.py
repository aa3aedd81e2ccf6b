"""Bearer-token (JWT) authentication and role checks for every HTTP endpoint.

A token names a subject, one role and, for employees and supervisors, the employee they are. The
services decide per resource what a role may see (a supervisor's own team) with their roster; this
module only answers "who is calling" and "does the role fit the endpoint". Every denial is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.algorithms import RSAAlgorithm
from pydantic import SecretStr

if TYPE_CHECKING:
    from daybook_shared.runtime.settings import ServiceSettings

_log = structlog.get_logger("daybook.auth")

DEFAULT_ISSUER = "daybook"
DEFAULT_AUDIENCE = "daybook"
# Tolerated clock difference between the token's issuer and this service.
DEFAULT_LEEWAY = timedelta(seconds=30)

_HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
_REQUIRED_CLAIMS = ["sub", "exp", "iat", "iss", "aud"]


class Role(StrEnum):
    EMPLOYEE = "employee"
    SUPERVISOR = "supervisor"
    HR = "hr"
    INTEGRATION = "integration"


# Employees and supervisors act for a person on the roster, so their tokens must say which one.
ROLES_WITH_EMPLOYEE = frozenset({Role.EMPLOYEE, Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    subject: str
    role: Role
    employee_id: str | None = None


class AuthenticationError(Exception):
    """A token that cannot be trusted; `reason` is safe to show to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _secret_text(secret: str | bytes | SecretStr) -> str | bytes:
    return secret.get_secret_value() if isinstance(secret, SecretStr) else secret


class JwtAuthenticator:
    """Verifies bearer tokens and turns them into a `Principal`.

    `secret` is the HS256 shared secret, or, with an RS/PS algorithm, the PEM public key of the
    identity provider (production can then hold no signing key at all). Algorithms of the two
    families are never mixed: that is how a public key gets misused as an HMAC secret.
    """

    def __init__(
        self,
        secret: str | bytes | SecretStr,
        issuer: str = DEFAULT_ISSUER,
        audience: str = DEFAULT_AUDIENCE,
        algorithms: Sequence[str] = ("HS256",),
        *,
        leeway: timedelta = DEFAULT_LEEWAY,
    ) -> None:
        chosen = frozenset(algorithms)
        if not chosen:
            raise ValueError("at least one JWT algorithm is needed")
        if chosen <= _HMAC_ALGORITHMS:
            key: Any = _secret_text(secret)
            if not key:
                raise ValueError("the JWT secret is empty")
        elif chosen <= _RSA_ALGORITHMS:
            # Parse once, at start-up: a bad key fails here, not on the first request.
            key = RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(_secret_text(secret))
            if not isinstance(key, RSAPublicKey):
                raise ValueError("verifying RSA tokens needs the PEM public key, not a private key")
        else:
            raise ValueError(
                f"JWT algorithms must all be HMAC ({', '.join(sorted(_HMAC_ALGORITHMS))}) or all "
                f"RSA ({', '.join(sorted(_RSA_ALGORITHMS))}); got {', '.join(sorted(chosen))}"
            )
        self._key = key
        self.issuer = issuer
        self.audience = audience
        self.algorithms = tuple(sorted(chosen))
        self.leeway = leeway

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> JwtAuthenticator:
        """HS256 with `jwt_secret`, or RS256 with `jwt_public_key` when that is set."""
        if settings.jwt_public_key is not None:
            return cls(
                settings.jwt_public_key,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                algorithms=("RS256",),
            )
        if settings.jwt_secret is None:
            raise ValueError("settings carry neither jwt_secret nor jwt_public_key")
        return cls(settings.jwt_secret, issuer=settings.jwt_issuer, audience=settings.jwt_audience)

    def decode(self, token: str) -> Principal:
        """The principal a valid token names; `AuthenticationError` says why one is not valid."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=list(self.algorithms),
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationError("token has expired") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise AuthenticationError(f"token lacks the '{exc.claim}' claim") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthenticationError(f"token is not meant for audience '{self.audience}'") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthenticationError(f"token was not issued by '{self.issuer}'") from exc
        except jwt.ImmatureSignatureError as exc:
            raise AuthenticationError("token is not valid yet (issued in the future)") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise AuthenticationError(
                f"token algorithm is not accepted (accepted: {', '.join(self.algorithms)})"
            ) from exc
        except jwt.InvalidSignatureError as exc:
            raise AuthenticationError("token signature is invalid") from exc
        except jwt.DecodeError as exc:
            raise AuthenticationError("token is malformed") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthenticationError(f"token is invalid: {exc}") from exc
        return _principal_from_claims(claims)


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise AuthenticationError("token's 'sub' claim must be a non-empty string")
    raw_role = claims.get("role")
    if raw_role is None:
        raise AuthenticationError("token lacks the 'role' claim")
    try:
        role = Role(raw_role)
    except ValueError as exc:
        raise AuthenticationError(
            f"token role {raw_role!r} is not one of {', '.join(r.value for r in Role)}"
        ) from exc
    employee_id = claims.get("employee_id")
    if employee_id is not None and (not isinstance(employee_id, str) or not employee_id):
        raise AuthenticationError("token's 'employee_id' claim must be a non-empty string")
    if role in ROLES_WITH_EMPLOYEE and employee_id is None:
        raise AuthenticationError(f"a {role.value} token must carry the 'employee_id' claim")
    return Principal(subject=subject, role=role, employee_id=employee_id)


def mint_token(
    secret: str | bytes | SecretStr,
    *,
    role: Role | str,
    subject: str,
    employee_id: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    issuer: str = DEFAULT_ISSUER,
    audience: str = DEFAULT_AUDIENCE,
    now: datetime | None = None,
    algorithm: str = "HS256",
) -> str:
    """A signed token, for development, tests and service accounts in a local run.

    `secret` is the HS256 secret, or a PEM private key with an RS algorithm.
    """
    chosen_role = Role(role)
    if chosen_role in ROLES_WITH_EMPLOYEE and not employee_id:
        raise ValueError(f"a {chosen_role.value} token needs an employee_id")
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    issued_at = now if now is not None else datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": chosen_role.value,
        "iat": issued_at,
        "exp": issued_at + ttl,
        "iss": issuer,
        "aud": audience,
    }
    if employee_id is not None:
        claims["employee_id"] = employee_id
    return jwt.encode(claims, _secret_text(secret), algorithm=algorithm)


_bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A JWT: `Authorization: Bearer <token>`",
)


def _claimed_subject(token: str) -> str | None:
    """The `sub` an untrusted token claims, for the denial log only."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) else None


def _deny(
    request: Request,
    status_code: int,
    reason: str,
    subject: str | None,
    challenge: str | None = None,
) -> HTTPException:
    _log.warning(
        "access_denied",
        status=status_code,
        method=request.method,
        path=request.url.path,
        reason=reason,
        subject=subject,
    )
    headers = {"WWW-Authenticate": challenge} if challenge is not None else None
    return HTTPException(status_code=status_code, detail=reason, headers=headers)


# RFC 6750: a bare challenge when no token came, `invalid_token` when one came and did not verify.
_NO_TOKEN_CHALLENGE = "Bearer"
_INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Principal:
    """FastAPI dependency: the caller named by a valid bearer token, or 401.

    Reads the `JwtAuthenticator` from `request.app.state.authenticator`; the principal is also
    left on `request.state.principal` for error handlers and logs.
    """
    authenticator = getattr(request.app.state, "authenticator", None)
    if not isinstance(authenticator, JwtAuthenticator):
        raise RuntimeError("app.state.authenticator must be a JwtAuthenticator")
    if credentials is None:
        if request.headers.get("Authorization"):
            reason = "Authorization header must be 'Bearer <token>'"
        else:
            reason = "missing bearer token: send 'Authorization: Bearer <token>'"
        raise _deny(request, status.HTTP_401_UNAUTHORIZED, reason, None, _NO_TOKEN_CHALLENGE)
    try:
        principal = authenticator.decode(credentials.credentials)
    except AuthenticationError as exc:
        raise _deny(
            request,
            status.HTTP_401_UNAUTHORIZED,
            exc.reason,
            _claimed_subject(credentials.credentials),
            _INVALID_TOKEN_CHALLENGE,
        ) from exc
    request.state.principal = principal
    return principal


def require_roles(
    *roles: Role | str,
) -> Callable[[Request, Principal], Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency that yields the caller when their role is one of `roles`, else 403.

    Usage: `principal: Annotated[Principal, Depends(require_roles(Role.HR, Role.SUPERVISOR))]`.
    """
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = frozenset(Role(role) for role in roles)
    allowed_names = ", ".join(sorted(role.value for role in allowed))

    async def principal_with_role(
        request: Request, principal: Annotated[Principal, Depends(get_principal)]
    ) -> Principal:
        if principal.role not in allowed:
            raise _deny(
                request,
                status.HTTP_403_FORBIDDEN,
                f"role '{principal.role.value}' may not do this; allowed roles: {allowed_names}",
                subject=principal.subject,
            )
        return principal

    return principal_with_role
