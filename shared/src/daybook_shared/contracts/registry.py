"""From (`event_type`, `schema_version`) to payload model, with upcasters from old versions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from daybook_shared.contracts.base import Envelope, Event, Payload

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventError(LookupError):
    """No model is registered for an event type and version."""


class EventRegistry:
    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[Payload]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._latest: dict[str, int] = {}

    def register(self, model: type[Payload]) -> type[Payload]:
        key = (model.event_type, model.schema_version)
        existing = self._models.get(key)
        if existing is not None and existing is not model:
            raise ValueError(f"{key} is already registered to {existing.__qualname__}")
        self._models[key] = model
        self._latest[model.event_type] = max(
            model.schema_version, self._latest.get(model.event_type, 0)
        )
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function that turns a `from_version` payload into `from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def has_upcaster(self, event_type: str, from_version: int) -> bool:
        return (event_type, from_version) in self._upcasters

    def latest_version(self, event_type: str) -> int:
        try:
            return self._latest[event_type]
        except KeyError:
            raise UnknownEventError(f"unknown event type {event_type!r}") from None

    def model(self, event_type: str, schema_version: int | None = None) -> type[Payload]:
        version = self.latest_version(event_type) if schema_version is None else schema_version
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise UnknownEventError(f"unknown event {event_type!r} version {version}") from None

    def upcast(self, event_type: str, version: int, data: dict[str, Any]) -> tuple[int, dict]:
        latest = self.latest_version(event_type)
        if version > latest:
            raise UnknownEventError(
                f"{event_type!r} version {version} is newer than this reader knows ({latest})"
            )
        while version < latest:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise UnknownEventError(f"no upcaster for {event_type!r} from version {version}")
            data = step(dict(data))
            version += 1
        return version, data

    def read(self, envelope: Envelope) -> Event:
        """Validate an envelope's payload into the current model, upcasting old versions."""
        version, data = self.upcast(envelope.event_type, envelope.schema_version, envelope.payload)
        payload = self._models[(envelope.event_type, version)].model_validate(data)
        return Event(envelope=envelope, payload=payload)

    def __iter__(self) -> Iterator[type[Payload]]:
        return iter(
            sorted(self._models.values(), key=lambda m: (m.context, m.event_type, m.schema_version))
        )


REGISTRY = EventRegistry()
