"""Whole models with the Solver interface: ``.params`` and ``.loss(X, y=None)``."""

from cs_nn.models.convnet import ThreeLayerConvNet
from cs_nn.models.fcnet import FullyConnectedNet

__all__ = ["FullyConnectedNet", "ThreeLayerConvNet"]
