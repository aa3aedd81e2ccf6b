"""Service configuration, read from the environment when a service starts (never at import).

Every variable is `DAYBOOK_<FIELD>` (for example `DAYBOOK_HTTP_PORT`), except the two
infrastructure URLs that tests, CI and deployments share with other tools: `DATABASE_URL` and
`NATS_URL` (their `DAYBOOK_` forms are accepted too and win when both are set).

A service adds its own settings by subclassing::

    class AttendanceSettings(ServiceSettings):
        service_name: str = "attendance"
        day_close_grace_minutes: int = 30
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "production"]
LogFormat = Literal["console", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

# Known to everyone who reads this file: good for local runs and tests, refused in production.
DEVELOPMENT_JWT_SECRET = "daybook-development-secret-not-for-production-use"
# HS256 keys shorter than the hash (32 bytes) are guessable offline (RFC 7518, section 3.2).
MIN_PRODUCTION_SECRET_BYTES = 32

# Schema names and subject prefixes are written into SQL and NATS subjects: keep them plain.
_SQL_IDENTIFIER = r"^[a-z_][a-z0-9_]{0,62}$"
_SUBJECT_TOKEN = r"^[A-Za-z0-9_-]*$"


class ServiceSettings(BaseSettings):
    """What every Daybook service needs to run: where its stores are, who it trusts, how it logs."""

    model_config = SettingsConfigDict(
        env_prefix="DAYBOOK_",
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
        # Validation errors would otherwise echo the environment, secrets included, into logs.
        hide_input_in_errors=True,
    )

    service_name: str = Field(pattern=_SQL_IDENTIFIER)
    environment: Environment = "development"

    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/daybook",
        validation_alias=AliasChoices("DAYBOOK_DATABASE_URL", "DATABASE_URL"),
    )
    database_schema: str = Field(default="", description="defaults to the service name")

    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        validation_alias=AliasChoices("DAYBOOK_NATS_URL", "NATS_URL"),
    )
    nats_user: str | None = None
    nats_password: SecretStr | None = None
    namespace: str = Field(default="", pattern=_SUBJECT_TOKEN, description="subject prefix")

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)

    jwt_secret: SecretStr | None = Field(
        default=None, description="HS256 key; a development key is used when unset in development"
    )
    jwt_public_key: str | None = Field(
        default=None, description="PEM RSA public key: verify RS256 tokens instead of HS256"
    )
    jwt_issuer: str = "daybook"
    jwt_audience: str = "daybook"

    log_format: LogFormat = Field(default="console", description="json in production if unset")
    log_level: LogLevel = "INFO"

    consumer_batch_size: int = Field(default=100, ge=1)
    consumer_max_deliver: int = Field(default=5, ge=1)
    consumer_ack_wait_s: float = Field(default=30.0, gt=0)
    relay_batch_size: int = Field(default=500, ge=1)
    clock_file: str | None = Field(
        default=None, description="development only: read the time from this file (simulations)"
    )
    stream_replicas: int = Field(default=1, ge=1, le=5, description="JetStream stream replicas")
    relay_sweep_interval_s: float = Field(default=1.0, gt=0)

    @field_validator("database_schema", mode="after")
    @classmethod
    def _schema_defaults_to_service(cls, value: str, info: ValidationInfo) -> str:
        schema = value or info.data.get("service_name", "")
        if re.fullmatch(_SQL_IDENTIFIER, schema) is None:
            raise ValueError(
                f"database_schema {schema!r} must be lower-case letters, digits and underscores"
            )
        return schema

    @model_validator(mode="before")
    @classmethod
    def _log_format_follows_environment(cls, data: Any) -> Any:
        """Unset, the log format is JSON in production (for collectors) and console elsewhere."""
        if isinstance(data, dict) and not data.get("log_format"):
            production = data.get("environment") == "production"
            return {**data, "log_format": "json" if production else "console"}
        return data

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_case_format(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _token_key_fits_environment(self) -> Self:
        """Production refuses to start without its own token key; development gets a known one."""
        if self.jwt_secret is not None and self.jwt_public_key is not None:
            raise ValueError("set either jwt_secret (HS256) or jwt_public_key (RS256), not both")
        if self.clock_file is not None and self.environment != "development":
            raise ValueError("clock_file simulates time and is refused outside development")
        if self.environment == "development":
            if self.jwt_secret is None and self.jwt_public_key is None:
                self.jwt_secret = SecretStr(DEVELOPMENT_JWT_SECRET)
            return self
        if self.jwt_public_key is not None:
            return self
        if self.jwt_secret is None:
            raise ValueError(
                "production needs DAYBOOK_JWT_SECRET or DAYBOOK_JWT_PUBLIC_KEY; none is set"
            )
        secret = self.jwt_secret.get_secret_value()
        if secret == DEVELOPMENT_JWT_SECRET:
            raise ValueError("production refuses the development jwt_secret: set one of its own")
        if len(secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
            raise ValueError(
                f"jwt_secret must be at least {MIN_PRODUCTION_SECRET_BYTES} bytes in production"
            )
        return self
