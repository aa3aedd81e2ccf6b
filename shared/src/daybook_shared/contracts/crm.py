"""Crm context events: written by the crm service (see its issue)."""

from __future__ import annotations
