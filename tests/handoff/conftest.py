from datetime import UTC, datetime

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # a Monday
