"""Plots for the notebooks: training curves, learning-rate sweeps, filter grids, confusion matrices.

matplotlib is imported inside the functions, so ``import cs_nn`` needs only numpy. Every
function returns its :class:`matplotlib.figure.Figure` and never calls ``plt.show()``. In a
notebook, assign the result (``fig = plot_training_curves(solver)``): the inline backend shows
the figure once at the end of the cell. Pass ``ax`` (or ``fig``) to draw into your own layout.

The array work (moving average, image grid) lives in :mod:`cs_nn._util.arrays`, pure numpy.
"""

from cs_nn._util.arrays import make_grid, smooth
from cs_nn.course.plotting.curves import (
    plot_learning_rate_sweep,
    plot_run_comparison,
    plot_training_curves,
)
from cs_nn.course.plotting.figures import new_axes, save_figure
from cs_nn.course.plotting.images import plot_confusion_matrix, plot_images, plot_weight_grid

__all__ = [
    "make_grid", "new_axes", "plot_confusion_matrix", "plot_images", "plot_learning_rate_sweep",
    "plot_run_comparison", "plot_training_curves", "plot_weight_grid", "save_figure", "smooth",
]
