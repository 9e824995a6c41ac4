"""The learner-path verification's parts on small inputs: filling stubs, the vacuous-test scan,
the solutions file format. (The whole path runs in CI: `cs-nn release --verify`.)"""

from __future__ import annotations

import ast
import json

import pytest
from synthetic_submissions import ROOT, instructor_only

from cs_nn.instructor.learner_expected import LEARNER_TESTS, learner_modules
from cs_nn.instructor.scripted_learner import (
    SOLUTIONS,
    fill_source,
    parse_solutions,
    reference_regions,
)
from cs_nn.instructor.stubbing import strip_source
from cs_nn.instructor.vacuous import vacuous_tests

INSTRUCTOR_ONLY = True  # not shipped in the student release
pytestmark = instructor_only

SOURCE = '''
def f(x):
    """Doc."""
    y = x + 1
    # BEGIN SOLUTION
    out = 2 * y
    # END SOLUTION
    z = out
    # BEGIN SOLUTION
    z = z - 1
    # END SOLUTION
    return z
'''


def test_fill_source_puts_bodies_at_the_stubs_indentation():
    stubbed, stubs = strip_source(SOURCE, "layers/linear.py")
    function = stubs[0].function
    filled = fill_source(stubbed, {(function, 1): "out = 3 * y\n", (function, 2): "z += 10\n"},
                         [function])
    ns: dict = {}
    exec(compile(filled, "m", "exec"), ns)  # our own generated source
    assert ns["f"](1) == 16 and "NotImplementedError" not in filled
    with pytest.raises(KeyError, match="no solution for region 2"):
        fill_source(stubbed, {(function, 1): "out = y\n"}, [function])


def test_reference_regions_and_solutions_file_cover_the_release_stubs(tmp_path):
    stubs = []
    for path in sorted((ROOT / "cs_nn").rglob("*.py")):
        rel = path.relative_to(ROOT / "cs_nn").as_posix()
        stubs += [dict(s.__dict__) for s in strip_source(path.read_text(), rel)[1]]
    bodies = reference_regions(ROOT, stubs)
    assert len(bodies) == len(stubs)
    for key, body in bodies.items():
        ast.parse(body)  # each region body is valid code on its own
        assert "SOLUTION" not in body, key
    own = parse_solutions((ROOT / SOLUTIONS / "solutions.txt").read_text())
    assert own and set(own) <= set(bodies)
    for body in own.values():
        ast.parse(body)
    bugs = json.loads((ROOT / SOLUTIONS / "bugs.json").read_text())
    assert len(bugs) >= 3
    for bug in bugs:
        assert any(bug["replace"] in own[k] for k in own if k[0] == bug["function"]), bug["why"]
    with pytest.raises(ValueError, match="before the first"):
        parse_solutions("x = 1\n# REGION a.b\ny = 2\n")


#: Stubbed functions whose output is random (no stored expected values): the learner test
#: module that checks them by their properties instead.
PROPERTY_TESTED = {"cs_nn.layers.dropout.dropout_forward": "test_04_dropout.py",
                   "cs_nn.layers.dropout.dropout_backward": "test_04_dropout.py"}


def test_every_stubbed_function_has_a_learner_case():
    """Each function the release stubs is checked by a stored learner case: named by one, or
    listed in a case's ``covers``, or a method of a class one of whose methods a case names
    (or, for random outputs, by the property tests of PROPERTY_TESTED)."""
    with learner_modules(ROOT / LEARNER_TESTS) as (_, cases):
        named = {f for c in cases.CASES for f in (c.function, *c.covers)}
    for function, module in PROPERTY_TESTED.items():
        assert function.rsplit(".", 1)[1] in (ROOT / LEARNER_TESTS / module).read_text(), (
            f"{module} does not test {function}")
        named.add(function)
    missing = []
    for path in sorted((ROOT / "cs_nn").rglob("*.py")):
        rel = path.relative_to(ROOT / "cs_nn").as_posix()
        for stub in strip_source(path.read_text(), rel)[1]:
            owner, _ = stub.function.rsplit(".", 1)
            is_method = owner.rsplit(".", 1)[1].lstrip("_")[:1].isupper()
            if stub.function not in named and not (
                    is_method and any(f.startswith(owner + ".") for f in named)):
                missing.append(stub.function)
    assert not missing, f"stubbed functions that no learner case checks: {missing}"


def test_vacuous_scan_finds_each_pattern(tmp_path):
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_bad.py").write_text(
        "import pytest\n"
        "def test_a():\n    try:\n        f()\n    except:\n        raise\n"
        "def test_b():\n    try:\n        f()\n    except ValueError:\n        pass\n"
        "def test_c():\n    assert True\n"
        "def test_d():\n    pytest.skip('later')\n"
        "@pytest.mark.xfail\ndef test_e():\n    f()\n"
        "@pytest.mark.skipif(True, reason='x')\ndef test_f():\n    f()\n")
    (tests / "test_good.py").write_text(
        "import pytest\n"
        "def test_g():\n    torch = pytest.importorskip('torch')\n    assert torch\n"
        "def test_h(tmp_path):\n    if not tmp_path.exists():\n        pytest.skip('no tmp')\n"
        "    assert 1 + 1 == 2\n")
    found = vacuous_tests(tmp_path)
    assert [p.split(":")[0] for p in found] == ["tests/test_bad.py"] * 6, found
    for what in ("bare except", "swallows", "true constant", "pytest.skip", "xfail",
                 "skipif(True)"):
        assert any(what in p for p in found), what
