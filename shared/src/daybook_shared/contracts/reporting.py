"""Reporting context events: written by the reporting service (see its issue)."""

from __future__ import annotations
