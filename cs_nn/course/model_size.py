"""Whether a saved model fits: the parameters its config asks for (computed without building
the model), and the arrays the file holds (:func:`check_params`).

:func:`cs_nn.course.delivery.load_bundle` calls :func:`check_model_size` before it builds a
model from a file's config, so a crafted config (e.g. ``hidden_dims=[10**9]``) cannot make it
allocate huge weight arrays: the config may need at most :data:`MAX_PARAMS` values, and no more than
the file itself holds (with more, no saved shapes could fit anyway).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cs_nn._checks import is_int

MAX_PARAMS = 10**8  # 400 MB in float32: far above any model of the curriculum


def num_params(model_class: type, config: dict[str, Any]) -> int | None:
    """The number of parameter values of the architecture ``config`` describes, from the
    class's own ``architecture(config)`` (constructor defaults fill in keys the config leaves
    out). None if the config is malformed: the constructor then says why, before it
    allocates anything."""
    try:
        arch = model_class.architecture(config)
        dims = [d for shape in arch.param_shapes.values() for d in shape]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if not all(is_int(d) and d >= 1 for d in dims):
        return None
    return arch.num_params


def check_model_size(path: Path, model_class: type, config: dict[str, Any],
                     found: dict[str, np.ndarray]) -> None:
    """ValueError if ``config`` needs more than MAX_PARAMS parameter values, or more than the
    arrays ``found`` in the file hold (name -> array of any shape), so that building the
    model never allocates more than the file itself."""
    name = model_class.__name__
    needed, held = num_params(model_class, config), sum(int(v.size) for v in found.values())
    if needed is not None and needed > MAX_PARAMS:
        raise ValueError(f"{path}: the saved {name} config asks for {needed:,} parameters, more "
                         f"than load_model accepts ({MAX_PARAMS:,}); the file is corrupted or "
                         "was crafted to exhaust memory")
    if needed is not None and needed > held:
        raise ValueError(f"{path} holds parameters that do not fit its architecture {name}("
                         f"{config}): it needs {needed:,} parameter values but the file holds "
                         f"{held:,}. The file is corrupted or its weights come from a different "
                         "model")


def check_params(path: Path, name: str, config: dict[str, Any],
                 expected: dict[str, np.ndarray], found: dict[str, np.ndarray]) -> None:
    """ValueError unless the arrays ``found`` in a file are exactly the parameters
    ``expected`` by the architecture (names, shapes, float dtypes), all finite."""
    problems = [f"{k} is missing" for k in expected if k not in found]
    problems += [f"{k} is not part of this architecture" for k in found if k not in expected]
    problems += [f"{k} has shape {found[k].shape} but needs {expected[k].shape}"
                 for k in expected if k in found and found[k].shape != expected[k].shape]
    problems += [f"{k} has dtype {found[k].dtype}" for k in found
                 if k in expected and found[k].dtype.kind != "f"]
    if not problems:
        bad = {k: int(v.size - np.count_nonzero(np.isfinite(v))) for k, v in found.items()}
        bad = {k: n for k, n in bad.items() if n}
        if bad:
            raise ValueError(f"{path}: the saved weights hold NaN or infinite values ("
                             + ", ".join(f"{k}: {n}" for k, n in bad.items()) + "), so every "
                             "prediction would be meaningless; the model was saved after its "
                             "training diverged, or the file was modified. Save a model from "
                             "a run whose loss stayed finite (e.g. its best epoch)")
    if problems:
        raise ValueError(f"{path} holds parameters that do not fit its architecture {name}("
                         f"{config}): {'; '.join(problems)}. The file is corrupted or its "
                         "weights come from a different model")
