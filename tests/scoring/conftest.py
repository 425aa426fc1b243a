from datetime import UTC, datetime

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
