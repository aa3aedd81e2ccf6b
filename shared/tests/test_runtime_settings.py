"""ServiceSettings: environment first, safe defaults locally, refusal to run production unsafely."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from daybook_shared.runtime.settings import DEVELOPMENT_JWT_SECRET, ServiceSettings

PRODUCTION_SECRET = "p" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own DATABASE_URL, NATS_URL or DAYBOOK_* must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("DAYBOOK_") or name in ("DATABASE_URL", "NATS_URL"):
            monkeypatch.delenv(name)


class AttendanceSettings(ServiceSettings):
    service_name: str = "attendance"
    day_close_grace_minutes: int = 30


def test_defaults_work_locally() -> None:
    settings = ServiceSettings(service_name="attendance")

    assert settings.environment == "development"
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/daybook"
    assert settings.database_schema == "attendance"
    assert settings.nats_url == "nats://127.0.0.1:4222"
    assert settings.nats_user is None and settings.nats_password is None
    assert settings.namespace == ""
    assert (settings.jwt_issuer, settings.jwt_audience) == ("daybook", "daybook")
    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == DEVELOPMENT_JWT_SECRET
    assert settings.log_format == "console"
    assert settings.log_level == "INFO"
    assert settings.consumer_batch_size == 100
    assert settings.consumer_max_deliver == 5
    assert settings.consumer_ack_wait_s == 30
    assert settings.relay_batch_size == 500
    assert settings.relay_sweep_interval_s == 1.0


def test_fields_come_from_daybook_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAYBOOK_SERVICE_NAME", "crm")
    monkeypatch.setenv("DAYBOOK_HTTP_PORT", "9100")
    monkeypatch.setenv("DAYBOOK_NAMESPACE", "run42")
    monkeypatch.setenv("DAYBOOK_NATS_USER", "crm")
    monkeypatch.setenv("DAYBOOK_NATS_PASSWORD", "s3cret")
    monkeypatch.setenv("DAYBOOK_LOG_LEVEL", "debug")
    monkeypatch.setenv("DAYBOOK_CONSUMER_MAX_DELIVER", "7")

    settings = ServiceSettings()

    assert settings.service_name == "crm"
    assert settings.database_schema == "crm"
    assert settings.http_port == 9100
    assert settings.namespace == "run42"
    assert settings.nats_user == "crm"
    assert settings.nats_password is not None
    assert settings.nats_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.log_level == "DEBUG"
    assert settings.consumer_max_deliver == 7


def test_infrastructure_urls_are_read_unprefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ci@db:5432/ci")
    monkeypatch.setenv("NATS_URL", "nats://bus:4222")

    settings = ServiceSettings(service_name="crm")

    assert settings.database_url == "postgresql://ci@db:5432/ci"
    assert settings.nats_url == "nats://bus:4222"


def test_prefixed_infrastructure_urls_win_over_unprefixed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://shared@db/shared")
    monkeypatch.setenv("DAYBOOK_DATABASE_URL", "postgresql://own@db/own")
    monkeypatch.setenv("NATS_URL", "nats://shared:4222")
    monkeypatch.setenv("DAYBOOK_NATS_URL", "nats://own:4222")

    settings = ServiceSettings(service_name="crm")

    assert settings.database_url == "postgresql://own@db/own"
    assert settings.nats_url == "nats://own:4222"


def test_keyword_arguments_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://env/env")

    settings = ServiceSettings(service_name="crm", database_url="postgresql://code/code")

    assert settings.database_url == "postgresql://code/code"


def test_service_settings_subclass_keeps_prefix_and_own_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAYBOOK_DAY_CLOSE_GRACE_MINUTES", "45")
    monkeypatch.setenv("DAYBOOK_DATABASE_SCHEMA", "attendance_v2")

    settings = AttendanceSettings()

    assert settings.service_name == "attendance"
    assert settings.day_close_grace_minutes == 45
    assert settings.database_schema == "attendance_v2"


def test_service_name_is_required() -> None:
    with pytest.raises(ValidationError, match="service_name"):
        ServiceSettings()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("database_schema", "Drop Table"),
        ("namespace", "a.b"),
        ("service_name", "my-service"),
        ("environment", "staging"),
        ("log_format", "xml"),
        ("http_port", "0"),
    ],
)
def test_unsafe_or_unknown_values_are_refused(field: str, value: str) -> None:
    values = {"service_name": "crm", field: value}
    with pytest.raises(ValidationError, match=field):
        ServiceSettings(**values)


def test_production_refuses_to_start_without_a_token_key() -> None:
    with pytest.raises(ValidationError, match="production needs DAYBOOK_JWT_SECRET"):
        ServiceSettings(service_name="crm", environment="production")


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="refuses the development jwt_secret"):
        ServiceSettings(
            service_name="crm", environment="production", jwt_secret=DEVELOPMENT_JWT_SECRET
        )


def test_production_refuses_a_short_secret_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="at least 32 bytes") as refused:
        ServiceSettings(service_name="crm", environment="production", jwt_secret="short-secret")
    assert "short-secret" not in str(refused.value)


def test_production_accepts_its_own_secret_and_logs_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAYBOOK_ENVIRONMENT", "production")
    monkeypatch.setenv("DAYBOOK_JWT_SECRET", PRODUCTION_SECRET)

    settings = ServiceSettings(service_name="crm")

    assert settings.jwt_secret is not None
    assert settings.jwt_secret.get_secret_value() == PRODUCTION_SECRET
    assert settings.log_format == "json"


def test_production_log_format_can_be_chosen() -> None:
    settings = ServiceSettings(
        service_name="crm",
        environment="production",
        jwt_secret=PRODUCTION_SECRET,
        log_format="console",
    )
    assert settings.log_format == "console"


def test_production_may_verify_with_a_public_key_alone() -> None:
    settings = ServiceSettings(
        service_name="crm", environment="production", jwt_public_key="-----BEGIN PUBLIC KEY-----"
    )
    assert settings.jwt_secret is None


def test_development_with_a_public_key_gets_no_development_secret() -> None:
    settings = ServiceSettings(service_name="crm", jwt_public_key="-----BEGIN PUBLIC KEY-----")
    assert settings.jwt_secret is None


def test_secret_and_public_key_together_are_ambiguous() -> None:
    with pytest.raises(ValidationError, match="either jwt_secret"):
        ServiceSettings(
            service_name="crm", jwt_secret=PRODUCTION_SECRET, jwt_public_key="-----BEGIN"
        )


def test_environment_is_read_when_settings_are_built_not_at_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DAYBOOK_HTTP_PORT", "8101")
    first = ServiceSettings(service_name="crm")
    monkeypatch.setenv("DAYBOOK_HTTP_PORT", "8102")
    second = ServiceSettings(service_name="crm")

    assert (first.http_port, second.http_port) == (8101, 8102)
