"""Daybook's public event contract: one source for every service and every subscriber."""

from daybook_shared.contracts import appraisal, attendance, crm, hr, reporting
from daybook_shared.contracts.base import Envelope, Event, Money, Payload
from daybook_shared.contracts.registry import REGISTRY, EventRegistry, UnknownEventError
from daybook_shared.contracts.subjects import CONTRACT_MAJOR, Context, Namespace

__all__ = [
    "CONTRACT_MAJOR",
    "REGISTRY",
    "Context",
    "Envelope",
    "Event",
    "EventRegistry",
    "Money",
    "Namespace",
    "Payload",
    "UnknownEventError",
    "appraisal",
    "attendance",
    "crm",
    "hr",
    "reporting",
]
