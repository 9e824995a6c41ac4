"""A fixture that runs a test module twice: through the speed path and with the plain code.

``pytestmark = pytest.mark.usefixtures("both_paths")`` (after importing ``both_paths``) makes
every test of a module check the learner-facing functions as the reference runs them (the
instructor's cs_nn/_fast/ speed path) AND as the student release runs them (the plain code
in the solution regions, see cs_nn/_util/speed.py). Without cs_nn/_fast/ only the plain run is
left.
"""

from __future__ import annotations

import pytest

from cs_nn._util import speed as _speed

PATHS = ["speed path", "plain"] if _speed.installed() else ["plain"]


@pytest.fixture(params=PATHS)
def both_paths(request):
    if request.param == "plain":
        with _speed.plain():
            yield request.param
    else:
        yield request.param
