"""The one kind of error the command line shows as it is: a sentence for the person at the keyboard."""

from __future__ import annotations


class CliError(Exception):
    """Something the user can act on; its message is a complete sentence."""
