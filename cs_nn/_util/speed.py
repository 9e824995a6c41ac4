"""How a learner-facing function hands its work to the instructor's speed path, if installed.

The functions learners write (``cs_nn.layers.conv_forward``, ``cs_nn.optim.adam``, the models'
``loss``...) hold plain code, in the form the assignments ask for. The instructor's
repository also has ``cs_nn/_fast/``: faster versions of a few of them (chunked im2col,
threads, in-place optimiser state, no dx for a network's data layer) that the tests in
``tests/test_fast_*.py`` prove equal to the plain ones.

``@speed_path("conv")`` on a plain function ``f`` means: when ``cs_nn._fast.conv`` exists
and defines ``f``'s name, calls go there; otherwise ``f`` itself runs. **The student release
does not ship cs_nn/_fast/**, so there the decorator returns ``f`` unchanged (no wrapper,
nothing in a traceback): the learner's own code is what runs, in their layers, their
optimiser and their models alike.

In the instructor's repository, :func:`plain` runs a block with every speed path turned
off (to compare, or to time the plain code), and ``f.plain`` is the undecorated function.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import importlib.util
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_PLAIN: contextvars.ContextVar[bool] = contextvars.ContextVar("cs_nn_plain", default=False)
PACKAGE = "cs_nn._fast"


def installed() -> bool:
    """Whether the instructor's speed path is present (False in the student release)."""
    spec = importlib.util.find_spec(PACKAGE)
    # a regular package only: an empty cs_nn/_fast/ folder left in a release is a namespace
    return spec is not None and spec.origin not in (None, "namespace")


def speed_path(module: str, name: str | None = None) -> Callable[[F], F]:
    """Decorator: route calls to ``cs_nn._fast.<module>.<name>`` when that exists (see above);
    ``name`` defaults to the function's own.

    The fast module is imported on the first call, never at decoration time, so it may
    import the plain module it speeds up.
    """
    def decorate(fn: F) -> F:
        if not installed():
            return fn  # the student release: the plain (learner's) function itself
        attr = name or fn.__name__
        target: list[Callable[..., Any]] = []

        @functools.wraps(fn)
        def dispatch(*args: Any, **kwargs: Any) -> Any:
            if not target:
                target.append(getattr(importlib.import_module(f"{PACKAGE}.{module}"), attr))
            fast = target[0]
            if _PLAIN.get():
                return fn(*args, **kwargs)
            return fast(*args, **kwargs)

        dispatch.plain = fn  # type: ignore[attr-defined]
        return dispatch  # type: ignore[return-value]

    return decorate


@contextlib.contextmanager
def plain() -> Iterator[None]:
    """Run the enclosed block with every speed path off: the plain functions run."""
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)
