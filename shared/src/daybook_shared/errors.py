"""Errors the domain raises when it refuses a command.

Pure: no HTTP here. Each kind names what went wrong in the caller's terms; the service edge maps
the kind to a status (`daybook_shared.runtime.errors`). A service may subclass a kind to give its
refusals their own names; the kind, and so the status, is inherited.
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A command refused by the rules, with a sentence a person can act on.

    `field` names the command field at fault, when one is.
    """

    kind: ClassVar[str] = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"


class InvalidCommand(DomainError):
    """The command is well formed but the rules do not allow it as given."""

    kind: ClassVar[str] = "invalid_command"


class NotFound(DomainError):
    """The command or query names something that does not exist."""

    kind: ClassVar[str] = "not_found"


class Forbidden(DomainError):
    """The caller is known but may not act on this resource (for example another team's member)."""

    kind: ClassVar[str] = "forbidden"


class Conflict(DomainError):
    """The command clashes with what has already happened (for example approving twice)."""

    kind: ClassVar[str] = "conflict"
