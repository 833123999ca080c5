"""Checks on what users pass in: each failure names the problem and the fix."""

from __future__ import annotations

import numpy as np

#: MNIST has ten classes, the digits 0 to 9: the one definition the library uses.
NUM_CLASSES = 10


def check_digit(digit, name: str = "digit", num_classes: int = NUM_CLASSES) -> int:
    """One class index as an int, or a clear error (booleans and floats are refused)."""
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) \
            or not 0 <= int(digit) < num_classes:
        raise ValueError(f"{name} must be an integer from 0 to {num_classes - 1}, got {digit!r}")
    return int(digit)


def check_labels(labels, n: int | None = None, num_classes: int = NUM_CLASSES,
                 name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D int32 array of class indices, or raise a clear error.

    Accepts shape ``(n,)`` or ``(n, 1)`` with integer values (integral floats are refused:
    a float label is almost always a one-hot or a probability passed by mistake).
    """
    arr = np.asarray(labels)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of class indices 0..{num_classes - 1}, got shape "
            f"{arr.shape}; if they are one-hot, pass labels.argmax(axis=1)."
        )
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            f"{name} must be integers 0..{num_classes - 1}, got dtype {arr.dtype}; convert "
            f"with labels.astype('int32') if they are whole numbers."
        )
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} entries but there are {n} images; "
                         "pass one label per image.")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        bad = arr[(arr < 0) | (arr >= num_classes)][0]
        raise ValueError(f"{name} must be in 0..{num_classes - 1}; found {bad}. "
                         "MNIST classes are the digits 0 to 9.")
    return arr.astype(np.int32)


def check_images(images, name: str = "images", allow_empty: bool = False) -> np.ndarray:
    """Return ``images`` as float32 ``(n, 28, 28, 1)`` in [-1, 1], or raise a clear error."""
    arr = np.asarray(images)
    if arr.ndim == 3 and arr.shape[1:] == (28, 28):
        arr = arr[..., None]
    if arr.ndim != 4 or arr.shape[1:] != (28, 28, 1):
        raise ValueError(
            f"{name} must have shape (n, 28, 28, 1) (or (n, 28, 28)), got {arr.shape}; "
            "MNIST images are 28x28 with a single grey channel."
        )
    if not allow_empty and arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: there is nothing to train on or evaluate.")
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}.")
    arr = arr.astype(np.float32, copy=False)
    if arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{name} contain NaN or infinite values; check how they were made.")
    if arr.size and (arr.min() < -1.0 - 1e-4 or arr.max() > 1.0 + 1e-4):
        raise ValueError(
            f"{name} must be scaled to [-1, 1] (found values in [{arr.min():g}, {arr.max():g}]); "
            "for uint8 pixels use acgan_lib.data.scale_images(x), i.e. x / 127.5 - 1."
        )
    return arr


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int if it is a positive integer (not a bool), else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_batch_size(batch_size, n_images: int | None = None) -> int:
    """Return ``batch_size`` as an int if it is a positive integer and, given ``n_images``, at
    most the number of images (else not even one full batch exists), else a ValueError."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if n_images is not None and batch_size > n_images:
        raise ValueError(f"batch_size {batch_size} is larger than the dataset ({n_images} "
                         f"images), so no full batch exists; use a batch size of at most "
                         f"{n_images}")
    return batch_size


def check_seed(seed, name: str = "seed") -> int:
    """Return ``seed`` as an int if it is an integer in 0..2**32-1 (what NumPy, TensorFlow and
    Keras all accept), else a ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"{name} must be an integer in 0..2**32-1, got {seed!r}")
    return int(seed)


def shorten(text: str, limit: int = 400) -> str:
    """``text`` on one line, cut to ``limit`` characters: an error or a log quoted inside a
    message stays readable."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + " ..."
