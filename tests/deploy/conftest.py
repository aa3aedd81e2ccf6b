"""Fixtures for the deployment tests: the files under deploy/ and what the services really consume.

Tests that take a `service` argument run once per service; `nats_user` once per NATS user.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPOSITORY = Path(__file__).resolve().parents[2]
K8S = REPOSITORY / "deploy" / "k8s"
SERVICES = ("attendance", "reporting", "crm", "appraisal")
NATS_USERS = ("hr-import", *SERVICES)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "service" in metafunc.fixturenames:
        metafunc.parametrize("service", SERVICES)
    if "nats_user" in metafunc.fixturenames:
        metafunc.parametrize("nats_user", NATS_USERS)


def load_yaml_documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as handle:
        return [document for document in yaml.safe_load_all(handle) if document is not None]


@pytest.fixture(scope="session")
def repository() -> Path:
    return REPOSITORY


@pytest.fixture(scope="session")
def consumed_contexts() -> dict[str, set[str]]:
    """Per NATS user, the contexts it reads, as the services' own specs declare them.

    `build_service` connects nothing, so building each app only reads its spec.
    """
    consumed: dict[str, set[str]] = {"hr-import": set()}
    for service in SERVICES:
        bootstrap = importlib.import_module(f"daybook_{service}.bootstrap")
        spec = bootstrap.build_app().state.kit.spec
        assert spec.context == service
        contexts = {c for p in spec.projections for c in p.contexts} | set(spec.consumes)
        consumed[service] = contexts - {service}
    return consumed


@pytest.fixture(scope="session")
def owned_context() -> dict[str, str]:
    """Per NATS user, the one context whose subjects it publishes and whose stream it owns."""
    return {"hr-import": "hr", **{service: service for service in SERVICES}}


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    (document,) = load_yaml_documents(REPOSITORY / "docker-compose.yml")
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="session")
def k8s_objects() -> list[dict[str, Any]]:
    """Every Kubernetes object under deploy/k8s, each with the file it came from."""
    objects = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name in ("nats-values.yaml", "kustomization.yaml"):
            continue
        for document in load_yaml_documents(path):
            objects.append({**document, "__file__": path.name})
    return objects


@pytest.fixture(scope="session")
def kustomization() -> dict[str, Any]:
    (document,) = load_yaml_documents(K8S / "kustomization.yaml")
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="session")
def nats_values() -> dict[str, Any]:
    (document,) = load_yaml_documents(K8S / "nats-values.yaml")
    assert isinstance(document, dict)
    return document
