"""One parametrized test per stored case of a notebook's functions (used by the test modules)."""

from __future__ import annotations

from typing import Any

import pytest
from learner_cases import cases_for
from learner_support import check_case


def expected_value_test(*prefixes: str, needs: str | None = None) -> Any:
    """A test function checking every case whose function starts with one of ``prefixes``;
    with ``needs`` (e.g. "torch"), skipped when that package is not installed."""
    selected = [c for p in prefixes for c in cases_for(p)]
    if not selected:
        raise ValueError(f"no learner cases for {prefixes}")  # never an empty, vacuous test

    @pytest.mark.parametrize("case", selected, ids=[c.name for c in selected])
    def test_matches_expected_values(case: Any, expected: dict) -> None:
        if needs is not None:
            pytest.importorskip(needs)
        check_case(case, expected)

    return test_matches_expected_values
