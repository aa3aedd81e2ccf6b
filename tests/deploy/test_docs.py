"""docs/deploy.md names every setting of the kit, so an operator can find what each one means."""

from __future__ import annotations

from pydantic import AliasChoices

from daybook_shared.runtime.settings import ServiceSettings


def _variables() -> set[str]:
    variables = set()
    for name, field in ServiceSettings.model_fields.items():
        if name == "service_name":
            continue  # fixed per service, not an operator's setting
        if isinstance(field.validation_alias, AliasChoices):
            variables.update(str(choice) for choice in field.validation_alias.choices)
        else:
            variables.add(f"DAYBOOK_{name.upper()}")
    return variables


def test_every_kit_setting_is_explained_in_the_deploy_guide(repository):
    guide = (repository / "docs" / "deploy.md").read_text("utf-8")
    missing = sorted(variable for variable in _variables() if f"`{variable}`" not in guide)
    assert not missing, f"docs/deploy.md does not explain {', '.join(missing)}"
