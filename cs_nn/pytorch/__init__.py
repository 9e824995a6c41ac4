"""The PyTorch track of the course: the numpy ideas again, with autograd and ``torch.nn``.

Import its modules directly (e.g. ``from cs_nn.pytorch.layernorm import LayerNormAutograd``).
PyTorch is an optional extra: ``import cs_nn`` never imports this package or torch.
"""
