"""Appraisal context events: written by the appraisal service (see its issue)."""

from __future__ import annotations
