from datetime import UTC, datetime

import pytest

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def now():
    return NOW
