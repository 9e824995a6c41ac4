"""Functional layers: ``forward(...) -> (out, cache)`` and ``backward(dout, cache) -> grads``.

Gradients come back in the order of the forward's inputs. One module per concept; this
package re-exports the public names so ``from cs_nn.layers import linear_forward`` works.
"""

from cs_nn.layers.activations import (
    ACTIVATIONS,
    elu_backward,
    elu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from cs_nn.layers.conv import conv_backward, conv_forward
from cs_nn.layers.conv_naive import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)
from cs_nn.layers.dropout import dropout_backward, dropout_forward
from cs_nn.layers.linear import linear_backward, linear_forward
from cs_nn.layers.losses import l2_regularization, softmax, softmax_loss
from cs_nn.layers.normalization import (
    NORMALIZATIONS,
    batchnorm_backward,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from cs_nn.layers.pool import max_pool_backward, max_pool_forward
from cs_nn.layers.sandwich import (
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
    linear_relu_backward,
    linear_relu_forward,
)

__all__ = [
    "ACTIVATIONS", "NORMALIZATIONS",
    "dropout_backward", "dropout_forward",
    "elu_backward", "elu_forward",
    "l2_regularization",
    "leaky_relu_backward", "leaky_relu_forward",
    "linear_backward", "linear_forward",
    "relu_backward", "relu_forward",
    "sigmoid_backward", "sigmoid_forward",
    "softmax", "softmax_loss",
    "tanh_backward", "tanh_forward",
    "conv_backward", "conv_forward",
    "conv_backward_naive", "conv_forward_naive",
    "max_pool_backward", "max_pool_forward",
    "max_pool_backward_naive", "max_pool_forward_naive",
    "conv_relu_backward", "conv_relu_forward",
    "conv_relu_pool_backward", "conv_relu_pool_forward",
    "linear_relu_backward", "linear_relu_forward",
    "batchnorm_backward", "batchnorm_forward",
    "layernorm_backward", "layernorm_forward",
    "spatial_batchnorm_backward", "spatial_batchnorm_forward",
]
