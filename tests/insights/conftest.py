"""Fixtures of the insights tests."""

from tests.insights.metrics_history import frozen, history  # noqa: F401
