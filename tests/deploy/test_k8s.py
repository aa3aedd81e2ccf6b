"""deploy/k8s: every manifest parses; each service has probes, resources, a non-root context,
an autoscaler, secrets by reference only; the NATS values describe a replicated cluster."""

from __future__ import annotations

import re
from typing import Any

import pytest

SECRETS = {"daybook-nats-passwords", "daybook-database-urls", "daybook-jwt"}
SECRET_ENVIRONMENT = {"DAYBOOK_NATS_PASSWORD", "DATABASE_URL", "DAYBOOK_JWT_SECRET"}
IMAGE_UID = 10001


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _pod(objects: list[dict[str, Any]], service: str) -> dict[str, Any]:
    return _one(objects, "Deployment", service)["spec"]["template"]["spec"]


def _container(objects: list[dict[str, Any]], service: str) -> dict[str, Any]:
    (container,) = [c for c in _pod(objects, service)["containers"] if c["name"] == service]
    return container


def _all_containers(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for o in objects:
        if o["kind"] in ("Deployment", "Job"):
            pod = o["spec"]["template"]["spec"]
            for container in [*pod.get("initContainers", []), *pod["containers"]]:
                found.append((f"{o['kind']} {o['metadata']['name']}", container))
    return found


def test_every_manifest_is_a_named_kubernetes_object(k8s_objects):
    assert k8s_objects
    for o in k8s_objects:
        assert o.get("apiVersion") and o.get("kind"), o["__file__"]
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", o["metadata"]["name"]), o["__file__"]


def test_the_kustomization_lists_every_manifest(kustomization, repository, k8s_objects):
    files = {o["__file__"] for o in k8s_objects}
    assert set(kustomization["resources"]) == files
    for resource in kustomization["resources"]:
        assert (repository / "deploy" / "k8s" / resource).is_file()
    assert kustomization["namespace"] == "daybook"
    (namespace,) = [o for o in k8s_objects if o["kind"] == "Namespace"]
    assert namespace["metadata"]["name"] == "daybook"


def test_each_service_has_a_deployment_service_autoscaler_and_budget(k8s_objects, service):
    deployment = _one(k8s_objects, "Deployment", service)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert "replicas" not in deployment["spec"], "the autoscaler owns the replica count"

    kube_service = _one(k8s_objects, "Service", service)
    assert kube_service["spec"]["selector"] == selector
    (port,) = kube_service["spec"]["ports"]
    container_ports = {p["name"] for p in _container(k8s_objects, service)["ports"]}
    assert port["targetPort"] in container_ports

    autoscaler = _one(k8s_objects, "HorizontalPodAutoscaler", service)
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": service,
    }
    assert 2 <= autoscaler["spec"]["minReplicas"] < autoscaler["spec"]["maxReplicas"]
    assert autoscaler["spec"]["metrics"], "an autoscaler with nothing to measure"

    budget = _one(k8s_objects, "PodDisruptionBudget", service)
    assert budget["spec"]["selector"]["matchLabels"] == selector
    assert budget["spec"]["minAvailable"] < autoscaler["spec"]["minReplicas"]


def test_probes_use_healthz_for_liveness_and_readyz_for_readiness(k8s_objects, service):
    container = _container(k8s_objects, service)
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe, path in (
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ):
        check = container[probe]["httpGet"]
        assert check["path"] == path, probe
        assert check["port"] in port_names or check["port"] in port_names.values(), probe


def test_every_container_has_requests_and_limits(k8s_objects):
    for owner, container in _all_containers(k8s_objects):
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{owner}/{container['name']}"


def test_every_pod_runs_as_the_images_unprivileged_user(k8s_objects):
    for o in k8s_objects:
        if o["kind"] not in ("Deployment", "Job"):
            continue
        pod = o["spec"]["template"]["spec"]
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True, o["metadata"]["name"]
        assert context["runAsUser"] == IMAGE_UID, o["metadata"]["name"]
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
    for owner, container in _all_containers(k8s_objects):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, owner
        assert context["readOnlyRootFilesystem"] is True, owner
        assert context["capabilities"]["drop"] == ["ALL"], owner


def test_the_image_user_is_the_dockerfiles(repository):
    dockerfile = (repository / "deploy" / "docker" / "Dockerfile").read_text()
    assert f"USER {IMAGE_UID}:{IMAGE_UID}" in dockerfile


def test_secrets_are_referenced_never_written(k8s_objects):
    assert not [o for o in k8s_objects if o["kind"] == "Secret"], "no Secret values in the repo"
    for owner, container in _all_containers(k8s_objects):
        for variable in container.get("env", []):
            reference = variable.get("valueFrom", {}).get("secretKeyRef")
            if variable["name"] in SECRET_ENVIRONMENT:
                assert reference is not None and "value" not in variable, (
                    f"{owner}: {variable['name']} must come from a Secret"
                )
            if reference is not None:
                assert reference["name"] in SECRETS, f"{owner}: unknown Secret {reference}"
    configmap = _one(k8s_objects, "ConfigMap", "daybook-config")
    for key in configmap["data"]:
        assert not re.search(r"PASSWORD|SECRET|TOKEN", key), f"{key} belongs in a Secret"


def test_each_service_reads_its_own_secrets_and_the_shared_settings(k8s_objects, service):
    container = _container(k8s_objects, service)
    environment = {variable["name"]: variable for variable in container["env"]}
    assert environment["DAYBOOK_NATS_USER"]["value"] == service
    for name, secret, key in (
        ("DAYBOOK_NATS_PASSWORD", "daybook-nats-passwords", service),
        ("DATABASE_URL", "daybook-database-urls", service),
        ("DAYBOOK_JWT_SECRET", "daybook-jwt", "secret"),
    ):
        assert environment[name]["valueFrom"]["secretKeyRef"] == {"name": secret, "key": key}
    assert container["envFrom"] == [{"configMapRef": {"name": "daybook-config"}}]


def test_the_shared_settings_are_production_with_replicated_streams(k8s_objects):
    data = _one(k8s_objects, "ConfigMap", "daybook-config")["data"]
    assert data["DAYBOOK_ENVIRONMENT"] == "production"
    assert data["DAYBOOK_LOG_FORMAT"] == "json"
    assert data["DAYBOOK_HTTP_HOST"] == "0.0.0.0"
    assert data["DAYBOOK_STREAM_REPLICAS"] == "3"
    assert data["NATS_URL"] == "nats://nats:4222"
    for value in data.values():
        assert isinstance(value, str), "ConfigMap values are strings"


def test_services_wait_for_the_streams_they_consume(k8s_objects, service, consumed_contexts):
    """Only an owner declares its stream (deploy/nats): a consumer's pod waits for it first."""
    (wait,) = _pod(k8s_objects, service)["initContainers"]
    command = wait["command"]
    assert command[:3] == ["python", "/app/bin/streams.py", "wait"]
    assert set(command[3:]) == consumed_contexts[service]
    environment = {variable["name"]: variable for variable in wait["env"]}
    assert environment["DAYBOOK_NATS_USER"]["value"] == service


def test_the_hr_stream_job_declares_as_the_importer(k8s_objects):
    job = _one(k8s_objects, "Job", "hr-stream")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "/app/bin/streams.py", "declare", "hr"]
    environment = {variable["name"]: variable for variable in container["env"]}
    assert environment["DAYBOOK_NATS_USER"]["value"] == "hr-import"
    assert environment["DAYBOOK_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "daybook-nats-passwords",
        "key": "hr-import",
    }


def test_images_are_the_ones_compose_builds(k8s_objects, kustomization, compose):
    compose_images = {
        compose["services"][name]["image"].split(":")[0]
        for name in ("attendance", "reporting", "crm", "appraisal")
    }
    pinned = {image["name"]: image for image in kustomization["images"]}
    assert set(pinned) == compose_images
    for image in pinned.values():
        assert image["newTag"], f"{image['name']} has no tag"
    for owner, container in _all_containers(k8s_objects):
        assert container["image"] in compose_images, f"{owner}: {container['image']}"
    for service in ("attendance", "reporting", "crm", "appraisal"):
        assert _container(k8s_objects, service)["image"] == f"daybook/{service}"


def test_nats_values_describe_a_three_node_jetstream_cluster_on_files(nats_values):
    config = nats_values["config"]
    assert config["cluster"] == {"enabled": True, "replicas": 3}
    jetstream = config["jetstream"]
    assert jetstream["enabled"] is True
    assert jetstream["fileStore"]["enabled"] is True
    assert jetstream["fileStore"]["pvc"]["enabled"] is True
    assert re.fullmatch(r"\d+Gi", jetstream["fileStore"]["pvc"]["size"])
    assert nats_values["podDisruptionBudget"]["enabled"] is True


def test_nats_values_take_every_password_from_the_secret(nats_values):
    users = nats_values["config"]["merge"]["accounts"]["DAYBOOK"]["users"]
    environment = nats_values["container"]["env"]
    assert {user["user"] for user in users} == {
        "hr-import",
        "attendance",
        "reporting",
        "crm",
        "appraisal",
    }
    for user in users:
        variable = re.fullmatch(r"<< \$([A-Z_]+) >>", user["password"]).group(1)
        assert environment[variable]["valueFrom"]["secretKeyRef"] == {
            "name": "daybook-nats-passwords",
            "key": user["user"],
        }
    assert set(environment) == {
        re.fullmatch(r"<< \$([A-Z_]+) >>", user["password"]).group(1) for user in users
    }


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_the_deploy_guide_says_how_to_create_each_secret(repository, secret):
    guide = (repository / "docs" / "deploy.md").read_text("utf-8")
    assert f"create secret generic {secret}" in guide
