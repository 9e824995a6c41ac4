"""The PyTorch track of the course (notebooks 11-14): the same ideas as the numpy package,
now with autograd, ``torch.nn`` layers and optimisers.

Modules (import them directly, e.g. ``from cs_nn.pytorch.mlp import MLP``):

* :mod:`~cs_nn.pytorch.layernorm` - LayerNorm as an autograd Module and as a
  ``torch.autograd.Function`` with a hand-written backward (notebook 12);
* :mod:`~cs_nn.pytorch.mlp` - the ELU multi-layer perceptron of notebook 11;
  :mod:`~cs_nn.pytorch.convert` turns a numpy ``FullyConnectedNet`` into it and back;
  :mod:`~cs_nn.pytorch.bridge` trains both side by side on the same batches.
* :mod:`~cs_nn.pytorch.cnn` - the small VGG-style CNN (Fashion-MNIST, FER2013, CIFAR-10);
  :mod:`~cs_nn.pytorch.preact` - the pre-activation network of notebook 13.
* :mod:`~cs_nn.pytorch.loop` - the one training loop (progress bar, early stopping, history);
  :mod:`~cs_nn.pytorch.device` - CPU / CUDA selection and seeding.
* :mod:`~cs_nn.pytorch.saving` - model files without pickle (``.npz`` + JSON architecture);
  :mod:`~cs_nn.pytorch.fer` - ``test_deep_fer_model`` and the shipped FER2013 CNN.

PyTorch is an optional extra: ``import cs_nn`` never imports it; importing this package
without it raises an ImportError that says how to install it.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = 'pip install -e ".[dev,torch]"'

if importlib.util.find_spec("torch") is None:
    raise ImportError("the PyTorch track (cs_nn.pytorch, notebooks 11-14) needs PyTorch, which "
                      f"is not installed: run {INSTALL_HINT} in the repository (or "
                      "pip install torch), then restart the kernel")
