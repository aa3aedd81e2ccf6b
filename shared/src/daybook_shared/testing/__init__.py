"""Pytest plugin and helpers for Daybook tests: see `daybook_shared.testing.plugin`."""
