"""Object-style neural networks: modules that own their parameters, containers, losses.

``from cs_nn.nn import Linear, ReLU, Sequential, Classifier, mlp`` and friends.
"""

from cs_nn.nn.classifier import Classifier, ParamView, mlp
from cs_nn.nn.classifiers import LinearClassifier, TwoLayerNet
from cs_nn.nn.containers import Sequential
from cs_nn.nn.conv import Conv2d, MaxPool2d
from cs_nn.nn.layers import (
    ELU,
    Dropout,
    Flatten,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from cs_nn.nn.loss import CrossEntropy, Loss, SoftmaxCrossEntropy
from cs_nn.nn.module import Module

__all__ = [
    "Classifier", "Conv2d", "CrossEntropy", "Dropout", "ELU", "Flatten", "LeakyReLU", "Linear",
    "LinearClassifier", "Loss", "MaxPool2d", "Module", "ParamView", "ReLU", "Sequential",
    "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "Tanh", "TwoLayerNet", "mlp",
]
