"""docker-compose.yml: the services are built, checked, ordered and configured as deployed."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path
from typing import Any

INFRASTRUCTURE = ("nats", "postgres")
# `${NAME:?message}`: compose refuses to start while NAME is unset or empty.
REQUIRED = re.compile(r"\$\{([A-Z][A-Z0-9_]*):\?[^}]*\}")
ANY_VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|PRIVATE|_KEY\b")


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment", {})
    assert isinstance(environment, dict), "environment is written as a mapping"
    return {key: str(value) for key, value in environment.items()}


def _env_example(repository: Path) -> dict[str, str]:
    values = {}
    for line in (repository / "deploy" / ".env.example").read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_every_service_is_built_from_the_one_dockerfile(compose, service):
    definition = compose["services"][service]
    assert definition["build"]["context"] == "."
    assert definition["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert definition["build"]["args"] == {"SERVICE": service}
    assert definition["image"].split(":")[0] == f"daybook/{service}"


def test_every_long_running_container_has_a_health_check(compose):
    long_running = [*INFRASTRUCTURE, "attendance", "reporting", "crm", "appraisal"]
    for name in long_running:
        check = compose["services"][name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    for service in ("attendance", "reporting", "crm", "appraisal"):
        test = compose["services"][service]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "/app/bin/healthcheck.py"]
        assert test[3] in ("/healthz", "/readyz")


def test_services_start_after_healthy_infrastructure_and_the_hr_stream(compose, service):
    depends_on = compose["services"][service]["depends_on"]
    for name in INFRASTRUCTURE:
        assert depends_on[name] == {"condition": "service_healthy"}, f"{service} on {name}"
    assert depends_on["hr-stream"] == {"condition": "service_completed_successfully"}
    hr_stream = compose["services"]["hr-stream"]
    assert hr_stream["command"] == ["python", "/app/bin/streams.py", "declare", "hr"]
    assert hr_stream["environment"]["DAYBOOK_NATS_USER"] == "hr-import"
    assert hr_stream["depends_on"]["nats"] == {"condition": "service_healthy"}


def test_services_start_after_the_owners_of_the_streams_they_consume(
    compose, service, consumed_contexts
):
    """Only an owner may declare its stream (deploy/nats), so a consumer waits for the owner."""
    depends_on = compose["services"][service]["depends_on"]
    for context in consumed_contexts[service] - {"hr"}:
        assert depends_on.get(context) == {"condition": "service_healthy"}, (
            f"{service} consumes {context} but does not wait for it"
        )


def test_each_service_has_its_own_database_and_nats_user(compose, service):
    environment = _environment(compose["services"][service])
    variable = f"{service.upper()}_DB_PASSWORD"
    assert re.fullmatch(
        rf"postgresql://{service}:\$\{{{variable}:\?[^}}]*\}}@postgres:5432/{service}",
        environment["DATABASE_URL"],
    ), environment["DATABASE_URL"]
    assert environment["DAYBOOK_NATS_USER"] == service
    assert REQUIRED.fullmatch(environment["DAYBOOK_NATS_PASSWORD"]).group(1) == (
        f"{service.upper()}_NATS_PASSWORD"
    )
    assert environment["NATS_URL"] == "nats://nats:4222"


def test_services_run_in_production_mode_with_json_logs(compose, service):
    environment = _environment(compose["services"][service])
    assert environment["DAYBOOK_ENVIRONMENT"] == "production"
    assert environment["DAYBOOK_LOG_FORMAT"] == "json"
    assert environment["DAYBOOK_HTTP_HOST"] == "0.0.0.0"
    assert REQUIRED.fullmatch(environment["DAYBOOK_JWT_SECRET"]).group(1) == "DAYBOOK_JWT_SECRET"


def test_no_secret_is_written_into_the_file(compose):
    for name, definition in compose["services"].items():
        for key, value in _environment(definition).items():
            if SECRET_NAME.search(key):
                assert REQUIRED.fullmatch(value), f"{name}.{key} must be ${{VAR:?}}, not {value!r}"
            if "://" in value and "@" in value:
                credentials = value.split("://", 1)[1].split("@", 1)[0]
                password = credentials.partition(":")[2]
                assert REQUIRED.fullmatch(password), f"{name}.{key} carries a literal password"


def test_every_required_variable_is_documented_in_the_env_example(compose, repository):
    lines = (repository / "docker-compose.yml").read_text("utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    required = set(REQUIRED.findall(text))
    example = _env_example(repository)
    assert required <= set(example), f"missing from .env.example: {required - set(example)}"
    for name in required:
        assert example[name] == "", f".env.example must leave {name} empty, not hold a value"
    for name in set(ANY_VARIABLE.findall(text)) - required:
        assert name in example, f"optional {name} is not documented in .env.example"


def _with_defaults(text: str) -> str:
    """Compose's interpolation with nothing set: `${NAME:-default}` becomes `default`."""
    return re.sub(r"\$\{[A-Z][A-Z0-9_]*:-([^}]*)\}", r"\1", text)


def test_appraisal_scales_out_without_a_fixed_host_port(compose):
    """`docker compose up --scale appraisal=2`: each replica needs its own host port, or none."""
    appraisal = compose["services"]["appraisal"]
    assert "8000" in [str(port) for port in appraisal["expose"]]
    for mapping in appraisal.get("ports", []):
        parts = _with_defaults(str(mapping)).split(":")
        assert len(parts) == 3, f"write ports as HOST_IP:HOST_PORTS:CONTAINER_PORT: {mapping!r}"
        first, _, last = parts[1].partition("-")
        assert last and int(last) > int(first), f"appraisal publishes one host port: {mapping!r}"
    for name, definition in compose["services"].items():
        assert "container_name" not in definition, f"{name} has a fixed name and cannot scale"


def test_nats_loads_the_deploy_configuration_with_a_jetstream_volume(compose, repository):
    nats = compose["services"]["nats"]
    assert nats["command"] == ["--config", "/etc/nats/nats.conf"]
    assert "./deploy/nats:/etc/nats:ro" in nats["volumes"]
    assert (repository / "deploy" / "nats" / "nats.conf").is_file()
    config = (repository / "deploy" / "nats" / "nats.conf").read_text("utf-8")
    store = re.search(r'store_dir:\s*"([^"]+)"', config).group(1)
    assert any(
        volume.split(":")[0] in compose["volumes"] and store.startswith(volume.split(":")[1])
        for volume in nats["volumes"]
    ), f"the JetStream store {store} is not on a named volume"
    for user in ("HR_IMPORT", "ATTENDANCE", "REPORTING", "CRM", "APPRAISAL"):
        assert REQUIRED.fullmatch(nats["environment"][f"{user}_NATS_PASSWORD"])


def test_postgres_runs_the_database_init_script(compose, repository):
    postgres = compose["services"]["postgres"]
    mounts = [volume.split(":") for volume in postgres["volumes"]]
    (script,) = [source for source, target, *_ in mounts if "docker-entrypoint-initdb.d" in target]
    path = repository / script
    assert path.is_file()
    assert path.stat().st_mode & stat.S_IXUSR, "the init script must be executable"
    for service in ("attendance", "reporting", "crm", "appraisal"):
        assert REQUIRED.fullmatch(postgres["environment"][f"{service.upper()}_DB_PASSWORD"])
    assert any(target == "/var/lib/postgresql/data" for _, target, *_ in mounts)


def test_generate_env_fills_every_required_value_with_a_fresh_secret(repository, tmp_path):
    script = repository / "deploy" / "generate-env.sh"
    target = tmp_path / ".env"
    subprocess.run([script, target], check=True, capture_output=True, timeout=30)
    generated = dict(line.split("=", 1) for line in target.read_text().splitlines() if "=" in line)
    example = _env_example(repository)
    assert set(generated) == set(example)
    for name, value in example.items():
        if value:
            assert generated[name] == value
        else:
            assert re.fullmatch(r"[0-9a-f]{64}", generated[name]), name
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)
    again = subprocess.run([script, target], capture_output=True, text=True, timeout=30)
    assert again.returncode != 0
    assert "exists" in again.stderr
