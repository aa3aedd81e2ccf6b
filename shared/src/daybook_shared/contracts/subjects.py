"""Subject naming and the one JetStream stream per producing context."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from daybook_shared.contracts.base import Payload, snake

CONTRACT_MAJOR = "v1"


class Context(StrEnum):
    HR = "hr"
    ATTENDANCE = "attendance"
    REPORTING = "reporting"
    CRM = "crm"
    APPRAISAL = "appraisal"


@dataclass(frozen=True)
class Namespace:
    """Where a deployment's subjects and streams live.

    The empty prefix is production: `attendance.v1.clocked_in.E1`, stream `ATTENDANCE`. A prefix
    lets two environments (or two test runs) share one NATS server without overlapping streams.
    """

    prefix: str = ""

    def _p(self, subject: str) -> str:
        return f"{self.prefix}.{subject}" if self.prefix else subject

    def subject(self, context: str, event_type: str, key: str) -> str:
        return self._p(f"{context}.{CONTRACT_MAJOR}.{snake(event_type)}.{key}")

    def subject_for(self, payload: Payload) -> str:
        return self.subject(payload.context, payload.event_type, payload.partition_key())

    def filter(self, context: str, event_type: str | None = None, key: str = "*") -> str:
        if event_type is None:
            return self._p(f"{context}.>")
        return self.subject(context, event_type, key)

    def stream_name(self, context: str) -> str:
        name = context.upper()
        return f"{self.prefix.upper()}_{name}" if self.prefix else name

    def stream_config(
        self,
        context: str,
        *,
        replicas: int = 1,
        duplicate_window_s: float = 600.0,
    ) -> StreamConfig:
        """The stream a context's producer owns and declares (R: one stream per context)."""
        return StreamConfig(
            name=self.stream_name(context),
            subjects=[self.filter(context)],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            num_replicas=replicas,
            duplicate_window=duplicate_window_s,
            allow_direct=True,
        )
