"""Reading image files with Pillow, safely: size checked from the header before decoding.

``Image.open`` reads only the header, so the pixel count is known before any memory is
spent; an image above ``MAX_PIXELS`` (a decompression bomb: a tiny PNG can claim 100,000 x
100,000 pixels) is refused with :class:`ImageReadError` instead of Pillow's
``DecompressionBombError`` / ``DecompressionBombWarning`` or an exhausted memory.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

#: Largest image decoded (width x height): 4096 x 4096, 48 MB as RGB.
MAX_PIXELS = 4096 * 4096


class ImageReadError(ValueError):
    """An image file cannot be read (corrupt, not an image, or too large); says why."""


def read_image(path: str | os.PathLike[str], mode: str, size: tuple[int, int] | None = None,
               *, resize: bool = True, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Pixels of one image as uint8: (H, W) for mode "L", (H, W, 3) for "RGB".

    Args:
        path: the file.
        mode: "L" (grayscale) or "RGB".
        size: (width, height) wanted; with ``resize`` a different size is resized
            (bilinear), without it refused.
        max_pixels: images with more pixels are refused before decoding.

    Raises:
        ImageReadError: not an image, corrupt, too large, or (without ``resize``) the wrong
            size; the message names the file.
    """
    from PIL import Image  # lazy: only image reading needs Pillow

    path = Path(path)
    too_large = f"too large to decode (limit {max_pixels:,} pixels; a decompression bomb?)"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below
            im = Image.open(path)
    except Image.DecompressionBombError:
        raise ImageReadError(f"{path.name}: the image is {too_large}") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageReadError(f"{path.name}: cannot read image ({type(exc).__name__}: "
                             f"{str(exc)[:100]})") from None
    try:
        with im:
            w, h = im.size
            if w * h > max_pixels:
                raise ImageReadError(f"{path.name}: {w}x{h} pixels is {too_large}")
            if size is not None and (w, h) != tuple(size) and not resize:
                raise ImageReadError(f"{path.name}: the image is {w}x{h}, expected "
                                     f"{size[0]}x{size[1]}")
            im = im.convert(mode)
            if size is not None and im.size != tuple(size):
                im = im.resize(tuple(size), Image.Resampling.BILINEAR)
            return np.asarray(im, dtype=np.uint8)
    except ImageReadError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageReadError(f"{path.name}: cannot read image ({type(exc).__name__}: "
                             f"{str(exc)[:100]})") from None
