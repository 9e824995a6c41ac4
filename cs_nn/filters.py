"""Image filtering with the convolution layer: grayscale, smoothing and edge detection.

A hand-made filter is just a fixed conv weight. These helpers run ``conv_forward`` on one
2-D image so the notebook can show what a convolution does before any learning happens.
Photos come from packages that are already installed (nothing is downloaded).
"""

from __future__ import annotations

import numpy as np

from cs_nn._checks import as_float_array
from cs_nn.layers.conv import conv_forward

# ITU-R BT.601 luma weights for (red, green, blue): the eye is most sensitive to green.
LUMINANCE = np.array([0.299, 0.587, 0.114])

# Sobel kernels (cross-correlation, like conv_forward): a central difference across the
# edge, smoothed with weights 1-2-1 along it. SOBEL_X responds to vertical edges (intensity
# changing from left to right); SOBEL_Y to horizontal edges (changing from top to bottom).
SOBEL_X = np.array([[-1.0, 0.0, 1.0],
                    [-2.0, 0.0, 2.0],
                    [-1.0, 0.0, 1.0]])
SOBEL_Y = SOBEL_X.T.copy()

# Box blur: the mean of each 3x3 neighbourhood.
BOX_BLUR = np.full((3, 3), 1.0 / 9.0)

SAMPLE_PHOTOS = {
    "grace_hopper": ("matplotlib", "grace_hopper.jpg"),
    "china": ("scikit-learn", "china.jpg"),
    "flower": ("scikit-learn", "flower.jpg"),
}


def to_grayscale(img: np.ndarray) -> np.ndarray:
    """Luminance of an RGB image. img: (H, W, 3). Returns (H, W) in img's float dtype."""
    img = as_float_array("img", img, ndim=3)
    if img.shape[2] != 3:
        raise ValueError(f"img must have shape (H, W, 3) with RGB channels last, got {img.shape}")
    return img @ LUMINANCE.astype(img.dtype)  # (H, W)


def filter_image(img2d: np.ndarray, kernel: np.ndarray, pad: int | None = None) -> np.ndarray:
    """Cross-correlate a 2-D image with one kernel, using ``conv_forward``.

    Args:
        img2d: (H, W) image.
        kernel: (KH, KW) filter.
        pad: zero pixels on each side; default ``(KH - 1) // 2`` keeps the size (odd kernels).

    Returns:
        (H', W') filtered image; (H, W) with the default padding and an odd square kernel.
    """
    img2d = as_float_array("img2d", img2d, ndim=2)
    kernel = as_float_array("kernel", kernel, ndim=2)
    kh, kw = kernel.shape
    if pad is None:
        if kh != kw or kh % 2 == 0:
            raise ValueError(f"default 'same' padding needs an odd square kernel, got shape "
                             f"{kernel.shape}; pass pad explicitly")
        pad = (kh - 1) // 2
    x = img2d[None, None]  # (1, 1, H, W): one image, one channel
    w = kernel.astype(img2d.dtype)[None, None]  # (1, 1, KH, KW): one filter
    b = np.zeros(1, dtype=img2d.dtype)
    out, _ = conv_forward(x, w, b, {"stride": 1, "pad": pad})
    return out[0, 0]


def edge_magnitude(img2d: np.ndarray) -> np.ndarray:
    """Gradient magnitude ``sqrt(gx^2 + gy^2)`` from the two Sobel filters. (H, W) -> (H, W)."""
    gx = filter_image(img2d, SOBEL_X)
    gy = filter_image(img2d, SOBEL_Y)
    return np.hypot(gx, gy)


def load_sample_photo(name: str = "grace_hopper") -> np.ndarray:
    """A real photograph shipped with an installed package, as floats in [0, 1].

    Args:
        name: "grace_hopper" (matplotlib's sample data, 600 x 512) or "china" / "flower"
            (scikit-learn's sample images, 427 x 640; needs scikit-learn).

    Returns:
        (H, W, 3) float64 RGB image.
    """
    if name not in SAMPLE_PHOTOS:
        raise ValueError(f"unknown sample photo {name!r}; choose one of {sorted(SAMPLE_PHOTOS)}")
    package, filename = SAMPLE_PHOTOS[name]
    if package == "matplotlib":
        import matplotlib.cbook as cbook
        import matplotlib.image as mpimg

        with cbook.get_sample_data(filename) as f:
            img = mpimg.imread(f, format="jpg")
    else:
        try:
            from sklearn.datasets import load_sample_image
        except ImportError as err:
            raise ImportError(f"sample photo {name!r} comes with scikit-learn; install it "
                              "(pip install scikit-learn) or use 'grace_hopper'") from err
        img = load_sample_image(filename)
    img = np.asarray(img)
    if img.dtype == np.uint8:
        return img[..., :3].astype(np.float64) / 255.0
    return np.clip(img[..., :3].astype(np.float64), 0.0, 1.0)
