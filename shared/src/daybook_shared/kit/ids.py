"""Deterministic identifiers for derived facts (an absence for an employee and a day, ...)."""

from __future__ import annotations

from uuid import UUID, uuid5

DAYBOOK_NAMESPACE = UUID("6f1c5c1e-3a0b-4d0e-9d7a-2b0d1a6e7c11")


def derived_id(*parts: object) -> UUID:
    """The same parts give the same id, so a replayed or repeated derivation is refused by the store."""
    return uuid5(DAYBOOK_NAMESPACE, "|".join(str(p) for p in parts))
