"""Batch normalisation and layer normalisation, forward and backward.

Both normalise a feature to zero mean and unit variance, then scale and shift it with
learned parameters ``gamma`` and ``beta``. They differ in *what* they average over:

* **batchnorm**: for x (N, D), each feature (column) over the N samples of the minibatch. In
  training the batch statistics are used and running averages of them are kept; at test time
  the running averages replace them, so a prediction does not depend on the other samples.
* **layernorm**: each sample (row) over its D features. No batch statistics, no running
  averages: training and test behave the same.
* **spatial batchnorm**: for images x (N, C, H, W), each channel over (N, H, W).

Variances are biased (divide by the count, ``ddof=0``), as in the papers and PyTorch's
normalisation; ``eps`` is added to the variance before the square root.

``bn_param`` is the one documented exception to "functions never modify their arguments"
(CS231n's convention): in train mode ``batchnorm_forward`` stores updated ``running_mean`` and
``running_var`` arrays in it (new arrays; the old ones are not changed in place).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cs_nn._checks import as_float_array, check_same_shape, check_shape

#: The notebook in which learners write this module's solution regions (read by the release).
NOTEBOOK = "12_normalization"

BN_DEFAULTS: dict[str, Any] = {"mode": "train", "eps": 1e-5, "momentum": 0.9}
LN_DEFAULTS: dict[str, Any] = {"eps": 1e-5}

#: cache of batchnorm / layernorm: (mode, x_hat, gamma, inv_std), with mode "train" (batch or
#: per-row statistics) or "test" (batchnorm's running statistics).
NormCache = tuple[str, np.ndarray, np.ndarray, np.ndarray]


def _check_eps(eps: object, where: str) -> float:
    eps = float(eps)  # type: ignore[arg-type]
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"{where}['eps'] must be a finite number > 0 (it keeps the division "
                         f"by the standard deviation safe), got {eps}")
    return eps


def _check_gamma_beta(gamma: np.ndarray, beta: np.ndarray, d: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """gamma and beta as float arrays of shape (d,), one value per normalised feature."""
    gamma = as_float_array("gamma", gamma)
    beta = as_float_array("beta", beta)
    check_shape("gamma (one scale per feature)", gamma, (d,))
    check_shape("beta (one shift per feature)", beta, (d,))
    return gamma, beta


def _check_bn_param(bn_param: dict[str, Any], d: int
                    ) -> tuple[str, float, float, np.ndarray, np.ndarray]:
    """Validate bn_param: (mode, eps, momentum, running_mean, running_var).

    Missing running averages start at zeros (D,) and, in train mode, are stored in bn_param.
    """
    if not isinstance(bn_param, dict):
        raise TypeError("bn_param must be a dict like {'mode': 'train', 'eps': 1e-5, "
                        "'momentum': 0.9}")
    unknown = set(bn_param) - {"mode", "eps", "momentum", "running_mean", "running_var"}
    if unknown:
        raise ValueError(f"bn_param has unknown key(s) {sorted(unknown)}; allowed: 'mode', "
                         "'eps', 'momentum', 'running_mean', 'running_var'")
    mode = bn_param.get("mode", BN_DEFAULTS["mode"])
    if mode not in ("train", "test"):
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    eps = _check_eps(bn_param.get("eps", BN_DEFAULTS["eps"]), "bn_param")
    momentum = float(bn_param.get("momentum", BN_DEFAULTS["momentum"]))
    if not 0.0 <= momentum <= 1.0:
        raise ValueError(f"bn_param['momentum'] must lie in [0, 1] (the weight of the old "
                         f"running average), got {momentum}")
    stats = []
    for key in ("running_mean", "running_var"):
        if key not in bn_param:
            if mode == "test":
                raise ValueError(f"bn_param has no {key!r}: test mode normalises with the "
                                 "running averages, so run batchnorm_forward in train mode "
                                 "first (or pass them)")
            bn_param[key] = np.zeros(d)
        stat = as_float_array(f"bn_param[{key!r}]", bn_param[key])
        check_shape(f"bn_param[{key!r}] (one value per feature)", stat, (d,))
        stats.append(stat)
    if np.any(stats[1] < 0):
        raise ValueError("bn_param['running_var'] holds negative values; a variance is >= 0")
    return mode, eps, momentum, stats[0], stats[1]


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      bn_param: dict[str, Any]) -> tuple[np.ndarray, NormCache]:
    """Batch normalisation of each of the D features over the N samples.

    Args:
        x: (N, D) inputs.
        gamma: (D,) scale.
        beta: (D,) shift.
        bn_param: ``mode`` ("train" or "test", default "train"), ``eps`` (1e-5), ``momentum``
            (0.9), ``running_mean`` and ``running_var`` ((D,) each; start at zeros when
            missing). In train mode, ``running_mean`` and ``running_var`` are REPLACED by
            ``momentum * old + (1 - momentum) * batch statistic``.

    Returns:
        out: (N, D); train: ``gamma * (x - mean) / sqrt(var + eps) + beta`` with the batch
            mean and biased variance of each column; test: the same with the running ones.
        cache: for :func:`batchnorm_backward`.
    """
    x = as_float_array("x", x, ndim=2)
    n, d = x.shape
    gamma, beta = _check_gamma_beta(gamma, beta, d)
    mode, eps, momentum, running_mean, running_var = _check_bn_param(bn_param, d)
    if mode == "train" and n < 2:
        raise ValueError(f"batchnorm in train mode needs at least 2 samples per batch, got "
                         f"x of shape {x.shape}: the variance of one sample is 0 and every "
                         "output would equal beta")
    if mode == "train":
        # BEGIN SOLUTION
        mean = x.mean(axis=0)  # (D,)
        var = x.var(axis=0)  # (D,), biased: divides by N
        inv_std = 1.0 / np.sqrt(var + eps)  # (D,)
        x_hat = (x - mean) * inv_std  # (N, D)
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        # END SOLUTION
    else:
        # BEGIN SOLUTION
        inv_std = 1.0 / np.sqrt(running_var + eps)  # (D,)
        x_hat = (x - running_mean) * inv_std  # (N, D)
        out = gamma * x_hat + beta
        # END SOLUTION
    return out, (mode, x_hat, gamma, inv_std)


def _check_backward(dout: np.ndarray, cache: NormCache) -> np.ndarray:
    dout = as_float_array("dout", dout, ndim=2, finite=False)
    check_same_shape("dout", dout, "the layer's output", cache[1])
    return dout


def batchnorm_backward(dout: np.ndarray, cache: NormCache
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`batchnorm_forward` (either mode).

    Args:
        dout: (N, D) upstream gradient.
        cache: from :func:`batchnorm_forward`.

    Returns:
        dx (N, D), dgamma (D,), dbeta (D,). In train mode dx accounts for the batch mean and
        variance depending on every sample; in test mode they are constants.
    """
    mode, x_hat, gamma, inv_std = cache
    dout = _check_backward(dout, cache)
    # BEGIN SOLUTION
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)  # (D,)
    dgamma = (dout * x_hat).sum(axis=0)  # (D,)
    dx_hat = dout * gamma  # (N, D)
    if mode == "test":
        dx = dx_hat * inv_std
    else:
        dx = inv_std / n * (n * dx_hat - dx_hat.sum(axis=0)
                            - x_hat * (dx_hat * x_hat).sum(axis=0))
    # END SOLUTION
    return dx, dgamma, dbeta


def _check_ln_param(ln_param: dict[str, Any]) -> float:
    if not isinstance(ln_param, dict):
        raise TypeError("ln_param must be a dict like {'eps': 1e-5}")
    unknown = set(ln_param) - {"eps", "mode"}  # "mode" is accepted and ignored
    if unknown:
        raise ValueError(f"ln_param has unknown key(s) {sorted(unknown)}; allowed: 'eps' "
                         "('mode' is ignored: layernorm behaves the same in train and test)")
    return _check_eps(ln_param.get("eps", LN_DEFAULTS["eps"]), "ln_param")


def layernorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      ln_param: dict[str, Any]) -> tuple[np.ndarray, NormCache]:
    """Layer normalisation of each of the N samples over its D features.

    Args:
        x: (N, D) inputs.
        gamma: (D,) scale (one per feature, shared by all samples).
        beta: (D,) shift.
        ln_param: ``eps`` (default 1e-5). Not modified.

    Returns:
        out: (N, D), ``gamma * (x - mean_row) / sqrt(var_row + eps) + beta`` with the mean
            and biased variance of each row.
        cache: for :func:`layernorm_backward`.
    """
    x = as_float_array("x", x, ndim=2)
    gamma, beta = _check_gamma_beta(gamma, beta, x.shape[1])
    eps = _check_ln_param(ln_param)
    # BEGIN SOLUTION
    mean = x.mean(axis=1, keepdims=True)  # (N, 1)
    var = x.var(axis=1, keepdims=True)  # (N, 1), biased: divides by D
    inv_std = 1.0 / np.sqrt(var + eps)  # (N, 1)
    x_hat = (x - mean) * inv_std  # (N, D)
    out = gamma * x_hat + beta
    # END SOLUTION
    return out, ("train", x_hat, gamma, inv_std)


def layernorm_backward(dout: np.ndarray, cache: NormCache
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`layernorm_forward`.

    Args:
        dout: (N, D) upstream gradient.
        cache: from :func:`layernorm_forward`.

    Returns:
        dx (N, D), dgamma (D,), dbeta (D,).
    """
    _, x_hat, gamma, inv_std = cache
    dout = _check_backward(dout, cache)
    # BEGIN SOLUTION
    d = dout.shape[1]
    dbeta = dout.sum(axis=0)  # (D,)
    dgamma = (dout * x_hat).sum(axis=0)  # (D,)
    dx_hat = dout * gamma  # (N, D)
    dx = inv_std / d * (d * dx_hat - dx_hat.sum(axis=1, keepdims=True)
                        - x_hat * (dx_hat * x_hat).sum(axis=1, keepdims=True))
    # END SOLUTION
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                              bn_param: dict[str, Any]) -> tuple[np.ndarray, NormCache]:
    """Batch normalisation of images: one mean and variance per channel over (N, H, W).

    Args:
        x: (N, C, H, W) inputs.
        gamma, beta: (C,) per-channel scale and shift.
        bn_param: as for :func:`batchnorm_forward`, with running averages of shape (C,).

    Returns:
        out: (N, C, H, W); cache for :func:`spatial_batchnorm_backward`.
    """
    x = as_float_array("x", x, ndim=4)
    n, c, h, w = x.shape
    gamma, beta = _check_gamma_beta(gamma, beta, c)
    if isinstance(bn_param, dict) and bn_param.get("mode", "train") == "train" and n * h * w < 2:
        raise ValueError(f"spatial batchnorm in train mode needs at least 2 values per channel "
                         f"(N * H * W >= 2), got x of shape {x.shape}")
    # BEGIN SOLUTION
    x_rows = x.transpose(0, 2, 3, 1).reshape(n * h * w, c)  # (N*H*W, C): a pixel per row
    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = out_rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)  # (N, C, H, W)
    # END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout: np.ndarray, cache: NormCache
                               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of :func:`spatial_batchnorm_forward`.

    Args:
        dout: (N, C, H, W) upstream gradient.
        cache: from :func:`spatial_batchnorm_forward`.

    Returns:
        dx (N, C, H, W), dgamma (C,), dbeta (C,).
    """
    dout = as_float_array("dout", dout, ndim=4, finite=False)
    n, c, h, w = dout.shape
    if cache[1].shape != (n * h * w, c):
        raise ValueError(f"dout has shape {dout.shape}, which does not match the forward "
                         f"pass ({cache[1].shape[0]} pixels of {cache[1].shape[1]} channels)")
    # BEGIN SOLUTION
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(n * h * w, c)  # (N*H*W, C)
    dx_rows, dgamma, dbeta = batchnorm_backward(dout_rows, cache)
    dx = dx_rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)  # (N, C, H, W)
    # END SOLUTION
    return dx, dgamma, dbeta


#: The normalisations a network can be built with, by name: (forward, backward), both taking
#: ``(x, gamma, beta, param)`` / ``(dout, cache)`` as above.
NORMALIZATIONS = {
    "batchnorm": (batchnorm_forward, batchnorm_backward),
    "layernorm": (layernorm_forward, layernorm_backward),
}
