"""Attendance context events: written by the attendance service (see its issue)."""

from __future__ import annotations
