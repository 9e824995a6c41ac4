"""The fixed cases of the learner tests: seeded inputs, and how to run the learner's code on them.

Each :class:`Case` names the function it checks. When the release is built, the instructor's
solution runs every case once (``make_inputs`` then ``run``) and the inputs and outputs are
stored in expected.json; the learner tests run the learner's code on the stored inputs and
compare the outputs one by one, in the order ``run`` returns them.
"""

from __future__ import annotations

from typing import Any

import learner_cases_conv  # noqa: F401 - registers notebooks 08-09's conv and pool cases
import learner_cases_normalization  # noqa: F401 - registers notebook 12's numpy cases
import learner_cases_pytorch  # noqa: F401 - registers the PyTorch cases (notebooks 11-13)
import numpy as np
from learner_support import CASES, Case, Inputs, Outputs, case, cases_for, normal

__all__ = ["CASES", "Case", "case", "cases_for"]  # the registry, for conftest.py / make_tests


# ------------------------------------------------------------------ 01 graphs
@case("graphs/f1", "cs_nn.graphs.f1", seed=1)(
    lambda rng: {"args": [float(v) for v in rng.uniform(-2, 2, 6)]})
def _f1(inp: Inputs) -> Outputs:
    from cs_nn.graphs import f1
    L, grads = f1(*inp["args"])
    return {"L": L, "grads": np.array(grads, dtype=float)}


@case("graphs/f2", "cs_nn.graphs.f2", seed=2)(lambda rng: {"x": float(rng.uniform(-2, 2))})
def _f2(inp: Inputs) -> Outputs:
    from cs_nn.graphs import f2
    L, grads = f2(inp["x"])
    return {"L": L, "grads": np.array(grads, dtype=float)}


@case("graphs/f3", "cs_nn.graphs.f3", seed=3)(
    lambda rng: {"s1": float(rng.uniform(-3, 3)), "s2": float(rng.uniform(-3, 3)), "y": 2})
def _f3(inp: Inputs) -> Outputs:
    from cs_nn.graphs import f3
    L, grads = f3(inp["s1"], inp["s2"], inp["y"])
    return {"L": L, "grads": np.array(grads, dtype=float)}


@case("graphs/f4", "cs_nn.graphs.f4", seed=6,
      hints={"grads": "(dL/dx, dL/dw, dL/db, dL/dlam): w feeds two nodes (w x and w ** 2), "
                      "so its two gradients add up"})(
    lambda rng: {"args": [float(v) for v in rng.uniform(-1.5, 1.5, 5)]})
def _f4(inp: Inputs) -> Outputs:
    from cs_nn.graphs import f4
    L, grads = f4(*inp["args"])
    return {"L": L, "grads": np.array(grads, dtype=float)}


# ------------------------------------------------------------------ 02 linear and activations
@case("linear/forward", "cs_nn.layers.linear.linear_forward", seed=4,
      hints={"out": "out = x.reshape(N, D) @ w + b: flatten each sample of x first"})(
    lambda rng: {"x": normal(rng, 3, 2, 3), "w": normal(rng, 6, 4), "b": normal(rng, 4)})
def _linear_forward(inp: Inputs) -> Outputs:
    from cs_nn.layers import linear_forward
    return {"out": linear_forward(inp["x"], inp["w"], inp["b"])[0]}


@case("linear/backward", "cs_nn.layers.linear.linear_backward", seed=5,
      hints={"dx": "dx must have x's shape (N, d1, ..., dk), not the flattened (N, D)",
             "db": "db sums dout over the batch (axis 0)"})(
    lambda rng: {"x": normal(rng, 3, 2, 3), "w": normal(rng, 6, 4), "b": normal(rng, 4),
                 "dout": normal(rng, 3, 4)})
def _linear_backward(inp: Inputs) -> Outputs:
    from cs_nn.layers import linear_backward, linear_forward
    _, cache = linear_forward(inp["x"], inp["w"], inp["b"])
    dx, dw, db = linear_backward(inp["dout"], cache)
    return {"dx": dx, "dw": dw, "db": db}


ACTIVATION_ARGS = {"relu": {}, "leaky_relu": {"alpha": 0.1}, "elu": {"alpha": 0.7},
                   "sigmoid": {}, "tanh": {}}


def _activation_inputs(rng: np.random.Generator) -> Inputs:
    x = normal(rng, 4, 5) * 2
    x[0, :3] = [0.0, 1e-3, -1e-3]  # around the kink
    return {"x": x, "dout": normal(rng, 4, 5)}


def _activation_case(act: str, seed: int) -> None:
    import importlib

    def run_forward(inp: Inputs) -> Outputs:
        mod = importlib.import_module("cs_nn.layers")
        return {"out": getattr(mod, f"{act}_forward")(inp["x"], **ACTIVATION_ARGS[act])[0]}

    def run_backward(inp: Inputs) -> Outputs:
        mod = importlib.import_module("cs_nn.layers")
        _, cache = getattr(mod, f"{act}_forward")(inp["x"], **ACTIVATION_ARGS[act])
        return {"dx": getattr(mod, f"{act}_backward")(inp["dout"], cache)}

    base = f"cs_nn.layers.activations.{act}"
    case(f"{act}/forward", f"{base}_forward", seed=seed)(_activation_inputs)(run_forward)
    case(f"{act}/backward", f"{base}_backward", seed=seed)(_activation_inputs)(run_backward)


for _i, _act in enumerate(ACTIVATION_ARGS):
    _activation_case(_act, seed=10 + _i)


# ------------------------------------------------------------------ 03 softmax and L2
@case("softmax_loss", "cs_nn.layers.losses.softmax_loss", seed=20,
      hints={"loss": "the MEAN cross-entropy over the N samples, -log softmax(scores)[i, y_i]",
             "dscores": "the loss is a MEAN over the N samples, and so is its gradient"})(
    lambda rng: {"scores": normal(rng, 5, 4) * 3, "y": rng.integers(0, 4, 5)})
def _softmax_loss(inp: Inputs) -> Outputs:
    from cs_nn.layers import softmax_loss
    loss, dscores = softmax_loss(inp["scores"], inp["y"])
    return {"loss": loss, "dscores": dscores}


@case("l2_regularization", "cs_nn.layers.losses.l2_regularization", seed=21,
      hints={"loss": "0.5 * reg * sum(w ** 2)", "dw": "the derivative of 0.5 * reg * w**2"})(
    lambda rng: {"w": normal(rng, 4, 3), "reg": 0.3})
def _l2(inp: Inputs) -> Outputs:
    from cs_nn.layers import l2_regularization
    loss, dw = l2_regularization(inp["w"], inp["reg"])
    return {"loss": loss, "dw": dw}


# ------------------------------------------------------------------ 05 networks
def _fcnet_inputs(rng: np.random.Generator) -> Inputs:
    dims = [6, 5, 4, 3]
    params = {}
    for i in range(1, len(dims)):
        params[f"W{i}"] = normal(rng, dims[i - 1], dims[i]) * 0.5
        params[f"b{i}"] = normal(rng, dims[i]) * 0.1
    return {"X": normal(rng, 4, 2, 3), "y": rng.integers(0, 3, 4), "params": params,
            "reg": 0.2}


def _model_outputs(model: Any, inp: Inputs) -> Outputs:
    for name, value in inp["params"].items():
        model.params[name] = value.copy()
    scores = model.loss(inp["X"])
    loss, grads = model.loss(inp["X"], inp["y"])
    return {"scores": scores, "loss": loss, **{f"grads['{k}']": grads[k] for k in sorted(grads)}}


@case("fcnet/loss", "cs_nn.models.fcnet.FullyConnectedNet.loss", seed=30,
      hints={"loss": "data loss plus 0.5 * reg * the sum of squared WEIGHTS (not biases)"})(
    _fcnet_inputs)
def _fcnet(inp: Inputs) -> Outputs:
    from cs_nn.models import FullyConnectedNet
    model = FullyConnectedNet([5, 4], input_dim=6, num_classes=3, reg=inp["reg"],
                              dtype=np.float64, seed=0)
    return _model_outputs(model, inp)


def _mlp_inputs(rng: np.random.Generator) -> Inputs:
    inputs = _fcnet_inputs(rng)
    inputs["params"] = {f"{2 * (int(k[1]) - 1)}.{k[0]}": v for k, v in inputs["params"].items()}
    return inputs


@case("nn/classifier", "cs_nn.nn.classifier.Classifier.loss", seed=31,
      covers=("cs_nn.nn.containers.Sequential.forward",
              "cs_nn.nn.containers.Sequential.backward"))(_mlp_inputs)
def _classifier(inp: Inputs) -> Outputs:
    from cs_nn.nn import Classifier, mlp
    model = Classifier(mlp(6, [5, 4], 3, dtype=np.float64, seed=0), reg=inp["reg"])
    return _model_outputs(model, inp)


@case("nn/two_layer_net", "cs_nn.nn.classifiers.TwoLayerNet.__init__", seed=33,
      hints={"initial params['0.W']": "draw W1 (input_dim, hidden_dim) first, then W2, from "
                                      "the one generator rng, with weight_scale and dtype",
             "initial params['2.W']": "the layers are Linear(D, H), ReLU(), Linear(H, C) in "
                                      "that order (the ReLU has no parameters)",
             "scores": "linear - ReLU - linear: the ReLU sits between the two Linear layers"})(
    lambda rng: {"X": normal(rng, 4, 6), "y": rng.integers(0, 3, 4), "reg": 0.2,
                 "params": {"0.W": normal(rng, 6, 5) * 0.5, "0.b": normal(rng, 5) * 0.1,
                            "2.W": normal(rng, 5, 3) * 0.5, "2.b": normal(rng, 3) * 0.1}})
def _two_layer_net(inp: Inputs) -> Outputs:
    from cs_nn.nn import TwoLayerNet
    model = TwoLayerNet(input_dim=6, hidden_dim=5, num_classes=3, weight_scale=0.5,
                        reg=inp["reg"], dtype=np.float64, seed=3)
    initial = {f"initial params['{k}']": model.params[k].copy() for k in sorted(model.params)}
    return {**initial, **_model_outputs(model, inp)}


@case("nn/softmax_cross_entropy_modules", "cs_nn.nn.layers.Softmax.backward", seed=32,
      covers=("cs_nn.nn.loss.CrossEntropy.forward",))(
    lambda rng: {"scores": normal(rng, 4, 3), "y": rng.integers(0, 3, 4)})
def _softmax_modules(inp: Inputs) -> Outputs:
    from cs_nn.nn import CrossEntropy, Softmax
    softmax, ce = Softmax(), CrossEntropy()
    loss = ce.forward(softmax.forward(inp["scores"]), inp["y"])
    dprobs = ce.backward()
    return {"loss": loss, "dprobs": dprobs, "dscores": softmax.backward(dprobs)}


# ------------------------------------------------------------------ 06 update rules
RULE_CONFIGS = {
    "sgd": {"learning_rate": 0.1},
    "sgd_momentum": {"learning_rate": 0.1, "momentum": 0.8},
    "rmsprop": {"learning_rate": 0.05, "decay_rate": 0.9},
    "adam": {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.95},
}
RULE_STATE = {"sgd": [], "sgd_momentum": ["velocity"], "rmsprop": ["cache"],
              "adam": ["m", "v", "t"]}
STEPS = 3


def _rule_case(rule: str, seed: int) -> None:
    state_hint = ("store the new state back into the config the rule returns, e.g. "
                  "config[\"velocity\"] = v, so the next step starts from it")

    def make_inputs(rng: np.random.Generator) -> Inputs:
        return {"w": normal(rng, 3, 4), "dws": [normal(rng, 3, 4) for _ in range(STEPS)],
                "config": dict(RULE_CONFIGS[rule])}

    def run(inp: Inputs) -> Outputs:
        from cs_nn import optim
        fn = getattr(optim, rule)
        w, config, out = inp["w"], dict(inp["config"]), {}
        for step, dw in enumerate(inp["dws"], start=1):
            w, config = fn(w, dw, config)
            out[f"next_w after step {step}"] = w
            for key in RULE_STATE[rule]:
                out[f"config['{key}'] after step {step}"] = config[key]
        return out

    hints = {f"config['{k}'] after step {s}": state_hint
             for k in RULE_STATE[rule] for s in range(1, STEPS + 1)}
    hints.update({f"next_w after step {s}": "the state from step 1 did not carry over: "
                  + state_hint for s in range(2, STEPS + 1)})
    case(f"optim/{rule}", f"cs_nn.optim.{rule}", seed=seed, hints=hints)(make_inputs)(run)


for _i, _rule in enumerate(RULE_CONFIGS):
    _rule_case(_rule, seed=40 + _i)


# ------------------------------------------------------------------ 09 the ConvNet
def _convnet_inputs(rng: np.random.Generator) -> Inputs:
    f, c, k, hidden, classes = 3, 2, 3, 4, 3
    params = {"W1": normal(rng, f, c, k, k) * 0.3, "b1": normal(rng, f) * 0.1,
              "W2": normal(rng, f * 3 * 3, hidden) * 0.3, "b2": normal(rng, hidden) * 0.1,
              "W3": normal(rng, hidden, classes) * 0.3, "b3": normal(rng, classes) * 0.1}
    return {"X": normal(rng, 4, c, 6, 6), "y": rng.integers(0, classes, 4), "params": params,
            "reg": 0.1}


@case("convnet/loss", "cs_nn.models.convnet.ThreeLayerConvNet.loss", seed=70,
      hints={"loss": "data loss plus 0.5 * reg * the sum of squared WEIGHTS W1, W2, W3"})(
    _convnet_inputs)
def _convnet(inp: Inputs) -> Outputs:
    from cs_nn.models import ThreeLayerConvNet
    model = ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=3, filter_size=3, hidden_dim=4,
                              num_classes=3, reg=inp["reg"], dtype=np.float64, seed=0)
    return _model_outputs(model, inp)


# ------------------------------------------------------------------ 10 metrics
def _labels(rng: np.random.Generator) -> Inputs:
    y_true = rng.integers(0, 4, 30)
    y_pred = np.where(rng.random(30) < 0.6, y_true, rng.integers(0, 4, 30))
    y_pred[y_pred == 3] = 2  # class 3 is never predicted: its precision is 0 / 0 = 0
    return {"y_true": y_true, "y_pred": y_pred}


@case("metrics/confusion_matrix", "cs_nn.metrics.confusion_matrix", seed=80,
      hints={"cm": "cm[i, j] counts samples of TRUE class i PREDICTED as j"})(_labels)
def _cm(inp: Inputs) -> Outputs:
    from cs_nn.metrics import confusion_matrix
    return {"cm": confusion_matrix(inp["y_true"], inp["y_pred"], num_classes=4)}


@case("metrics/classification_rate", "cs_nn.metrics.classification_rate", seed=81)(_labels)
def _rate(inp: Inputs) -> Outputs:
    from cs_nn.metrics import classification_rate
    return {"rate": classification_rate(inp["y_true"], inp["y_pred"])}


@case("metrics/precision_recall_f1", "cs_nn.metrics.precision_recall_f1", seed=82,
      hints={"precision": "precision = tp / (number of times the class was PREDICTED); 0 / 0 "
                          "counts as 0", "recall": "recall = tp / (number of TRUE samples)"})(
    _labels)
def _prf(inp: Inputs) -> Outputs:
    from cs_nn.metrics import precision_recall_f1
    s = precision_recall_f1(inp["y_true"], inp["y_pred"], num_classes=4)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "support": s.support}
