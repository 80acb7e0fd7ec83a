"""The reports' PNG encoder: the decoded pixels are the image's, whatever the threads."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from runs.png import MIN_LINES_PER_BAND, encode_png


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def noisy(mode: str, size: tuple[int, int], seed: int = 0) -> Image.Image:
    """An image with flat areas and noise (both kinds of lines a figure has)."""
    rng = np.random.default_rng(seed)
    bands = len(mode)
    pixels = np.full((size[1], size[0], bands), 255, dtype=np.uint8)
    pixels[::3] = rng.integers(0, 256, size=pixels[::3].shape, dtype=np.uint8)
    return Image.fromarray(pixels, mode)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_pixels_survive_the_round_trip(mode, threads):
    image = noisy(mode, (257, 3 * MIN_LINES_PER_BAND + 5))
    back = decoded(encode_png(image, threads=threads))
    assert back.format == "PNG" and back.mode == mode and back.size == image.size
    assert np.array_equal(np.asarray(back), np.asarray(image))


def test_threads_give_the_same_pixels_and_about_the_same_size():
    image = noisy("RGB", (300, 4 * MIN_LINES_PER_BAND))
    one, two = encode_png(image), encode_png(image, threads=2)
    assert np.array_equal(np.asarray(decoded(one)), np.asarray(decoded(two)))
    assert abs(len(one) - len(two)) < 0.01 * len(one)


def test_small_images_and_other_modes():
    for image in (Image.new("RGB", (1, 1), "red"), Image.new("L", (5, 7), 9)):
        back = decoded(encode_png(image, threads=4))
        assert np.array_equal(np.asarray(back), np.asarray(image.convert("RGB")))


def test_levels_are_checked():
    image = Image.new("RGB", (2, 2))
    assert np.array_equal(np.asarray(decoded(encode_png(image, level=0))), np.asarray(image))
    with pytest.raises(ValueError, match="level"):
        encode_png(image, level=10)
    with pytest.raises(ValueError, match="threads"):
        encode_png(image, threads=0)
