"""Tests for cs_nn.filters: grayscale, filtering and edges on synthetic and real images."""

from __future__ import annotations

import numpy as np
import pytest

from cs_nn.filters import (
    BOX_BLUR,
    SOBEL_X,
    SOBEL_Y,
    edge_magnitude,
    filter_image,
    load_sample_photo,
    to_grayscale,
)


def test_grayscale_weights():
    img = np.zeros((2, 3, 3))
    img[..., 0] = 1.0
    np.testing.assert_allclose(to_grayscale(img), 0.299)
    white = np.ones((4, 4, 3), np.float32)
    gray = to_grayscale(white)
    assert gray.dtype == np.float32
    np.testing.assert_allclose(gray, 1.0, rtol=1e-6)


def test_filter_image_matches_direct_cross_correlation():
    rng = np.random.default_rng(0)
    img = rng.random((6, 7))
    kernel = rng.standard_normal((3, 3))
    out = filter_image(img, kernel)
    padded = np.pad(img, 1)
    ref = np.array([[np.sum(padded[r:r + 3, s:s + 3] * kernel) for s in range(7)]
                    for r in range(6)])
    np.testing.assert_allclose(out, ref, atol=1e-12)
    assert filter_image(img, BOX_BLUR, pad=0).shape == (4, 5)


def test_filter_image_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    img = rng.random((9, 8))
    got = filter_image(img, SOBEL_X)
    ref = torch.nn.functional.conv2d(torch.tensor(img)[None, None],
                                     torch.tensor(SOBEL_X)[None, None], padding=1)[0, 0]
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-12)


def test_sobel_finds_edges_of_the_right_orientation():
    img = np.zeros((8, 8))
    img[:, 4:] = 1.0  # a vertical edge between columns 3 and 4
    gx, gy = filter_image(img, SOBEL_X), filter_image(img, SOBEL_Y)
    inner = (slice(1, -1), slice(1, -1))  # away from the zero padding
    assert np.abs(gx[inner]).max() == pytest.approx(4.0)
    assert np.abs(gy[inner]).max() == 0.0
    assert set(np.nonzero(np.abs(gx[inner]) > 0)[1] + 1) == {3, 4}
    mag = edge_magnitude(img)
    np.testing.assert_allclose(mag[inner], np.abs(gx[inner]))


def test_real_photo_loads_and_filters():
    pytest.importorskip("matplotlib")
    img = load_sample_photo("grace_hopper")
    assert img.ndim == 3 and img.shape[2] == 3 and img.shape[0] > 100
    assert img.dtype == np.float64 and 0.0 <= img.min() and img.max() <= 1.0
    assert img.std() > 0.05  # a real picture, not a blank
    gray = to_grayscale(img[::4, ::4])
    edges = edge_magnitude(gray)
    assert edges.shape == gray.shape and edges.max() > 0.5


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        to_grayscale(np.zeros((4, 4, 4)))
    with pytest.raises(ValueError, match=r"odd square kernel"):
        filter_image(np.zeros((5, 5)), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"unknown sample photo 'mona_lisa'"):
        load_sample_photo("mona_lisa")
    with pytest.raises(ValueError, match=r"img2d must have 2 dimension"):
        filter_image(np.zeros((5, 5, 3)), SOBEL_X)
