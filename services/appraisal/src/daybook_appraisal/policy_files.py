"""Policy files on disk: the shipped default and an organisation's own directory of versions."""

from __future__ import annotations

from pathlib import Path

from daybook_appraisal.domain.policy import LoadedPolicy, PolicyError, PolicyProblem, load_policy

SHIPPED_POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"
"""`services/appraisal/policy/`, holding `default.yaml`."""


def read_policy(path: Path) -> LoadedPolicy:
    return load_policy(path.read_text(encoding="utf-8"), source=path.name)


def read_policies(directory: Path) -> dict[str, LoadedPolicy]:
    """Every `*.yaml` policy in the directory by version; two files claiming one version with
    different content are refused, since a pinned version must always mean the same text."""
    found: dict[str, LoadedPolicy] = {}
    for path in sorted(directory.glob("*.yaml")):
        loaded = read_policy(path)
        other = found.get(loaded.version)
        if other is not None and other.sha256 != loaded.sha256:
            raise PolicyError(
                path.name,
                [
                    PolicyProblem(
                        1,
                        "policy_version",
                        f"{loaded.version} is already used by another file with different content; "
                        "give this one a new version",
                    )
                ],
            )
        found[loaded.version] = loaded
    return found
