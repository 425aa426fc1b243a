from datetime import UTC, datetime

import pytest

from scoring.spec import ModelSpec

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

BASE = {
    "lookback_days": 90,
    "fit_min": 20,
    "engagement_min": 10,
    "total_min": None,
    "grade_a_min": 60,
    "grade_b_min": 40,
    "grade_c_min": 20,
    "segment": [],
}


def make_spec(**parts) -> ModelSpec:
    """A ModelSpec from BASE settings plus rule lists; rule keys default to r0, r1, …"""
    data = {**BASE, **parts}
    counter = 0
    for kind in ("fit_rules", "engagement_rules", "disqualifiers"):
        rules = []
        for rule in data.get(kind, []):
            rules.append({"key": f"r{counter}", **rule})
            counter += 1
        data[kind] = rules
    return ModelSpec.from_dict(data)


@pytest.fixture
def now():
    return NOW
