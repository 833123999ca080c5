"""Pictures: the class-by-row sample grid, as an image array, a PNG, a figure and an animation."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from acgan_lib.data import unscale_images
from acgan_lib.files import atomic_write, write_bytes
from acgan_lib.models import LATENT_DIM, generate, latent_dim_of
from acgan_lib.validation import NUM_CLASSES, check_positive_int


def grid_inputs(per_class: int = NUM_CLASSES, num_classes: int = NUM_CLASSES, seed: int = 0,
                latent_dim: int = LATENT_DIM) -> tuple[np.ndarray, np.ndarray]:
    """Fixed ``(noise, labels)`` for a grid: row ``c`` is digit ``c``; column ``j`` shares noise.

    Sharing one noise vector per column shows what the label alone changes (compare down a
    column) and what the noise changes (compare along a row).
    """
    column_noise = np.random.default_rng(seed).standard_normal((per_class, latent_dim))
    noise = np.tile(column_noise, (num_classes, 1)).astype(np.float32)
    labels = np.repeat(np.arange(num_classes), per_class).astype(np.int32)
    return noise, labels


def tile_images(images: np.ndarray, rows: int, padding: int = 2) -> np.ndarray:
    """Tile ``(rows * cols, 28, 28, 1)`` images in [-1, 1] into one uint8 ``(H, W)`` picture."""
    images = unscale_images(np.asarray(images))[..., 0]
    n, h, w = images.shape
    if n % rows:
        raise ValueError(f"{n} images do not fill {rows} rows")
    cols = n // rows
    out = np.full((rows * (h + padding) + padding, cols * (w + padding) + padding), 255, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + c * (w + padding)
        out[y:y + h, x:x + w] = img
    return out


def untile_images(picture: np.ndarray, rows: int, padding: int = 2, size: int = 28
                  ) -> np.ndarray:
    """The inverse of :func:`tile_images`: a uint8 picture back to ``(n, size, size, 1)``
    images in [-1, 1], row by row (for grids that were saved as pictures)."""
    step = size + padding
    cols = (picture.shape[1] - padding) // step
    if rows * step + padding != picture.shape[0] or cols * step + padding != picture.shape[1]:
        raise ValueError(f"a {picture.shape[0]}x{picture.shape[1]} picture is not {rows} rows "
                         f"of {size}-pixel tiles with {padding}-pixel padding")
    tiles = [picture[padding + r * step:][:size, padding + c * step:][:, :size]
             for r in range(rows) for c in range(cols)]
    return np.stack(tiles)[..., None].astype(np.float32) / 127.5 - 1.0


def unlabel_rows(picture: np.ndarray) -> np.ndarray:
    """The grid without the margin :func:`label_rows` adds. A sample grid is square (ten digits
    by ten samples), so whatever is wider than it is tall is the margin."""
    return picture[:, picture.shape[1] - picture.shape[0]:]


def sample_grid(generator: keras.Model, per_class: int = NUM_CLASSES, seed: int = 0) -> np.ndarray:
    """A uint8 picture with one row per digit 0..9, ``per_class`` samples each.

    Repeatable: the same ``seed`` and the same weights give the same picture (and ``save_png``
    the same bytes) on the same machine; see :mod:`acgan_lib.reproducibility`.
    """
    check_positive_int(per_class, "per_class")
    latent_dim = latent_dim_of(generator)
    noise, labels = grid_inputs(per_class, seed=seed, latent_dim=latent_dim)
    return tile_images(generate(generator, labels, noise=noise), rows=NUM_CLASSES)


def save_png(picture: np.ndarray, path: str | os.PathLike, scale: int = 2) -> Path:
    """Write a uint8 picture to PNG with OpenCV (nearest-neighbour upscaled ``scale`` times)."""
    import cv2

    if scale > 1:
        picture = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    ok, encoded = cv2.imencode(".png", picture)
    if not ok:
        raise OSError(f"OpenCV could not encode {path} as PNG")
    return write_bytes(path, encoded.tobytes())


def label_rows(picture: np.ndarray, rows: int = NUM_CLASSES, margin: int = 14) -> np.ndarray:
    """The grid with the digit each row was asked for written in a white margin on its left,
    so that a saved grid says which row should be which digit."""
    import cv2

    height = picture.shape[0]
    out = np.full((height, picture.shape[1] + margin), 255, np.uint8)
    out[:, margin:] = picture
    step = height / rows
    for digit in range(rows):
        y = int(step * (digit + 0.5)) + 4
        cv2.putText(out, str(digit), (2, y), cv2.FONT_HERSHEY_PLAIN, 0.8, 0, 1, cv2.LINE_AA)
    return out


def compact_grid(png: str | os.PathLike) -> np.ndarray:
    """A run's saved grid (scale 2, with or without its row labels) at scale 1, labelled: the
    size in which a training history ships with the package."""
    import cv2

    picture = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    if picture is None:
        raise ValueError(f"{png} is not a readable PNG; write it again with save_grid")
    return label_rows(unlabel_rows(picture)[::2, ::2])


def save_grid(generator: keras.Model, path: str | os.PathLike, per_class: int = NUM_CLASSES,
              seed: int = 0) -> Path:
    """Write a labelled sample grid (:func:`sample_grid` + :func:`label_rows`) as a PNG."""
    return save_png(label_rows(sample_grid(generator, per_class, seed)), path)


def show_grid(picture: np.ndarray, title: str | None = None, ax=None,
              row_labels: bool | Sequence[str] = True, ylabel: str | None = None):
    """Show a grid with matplotlib, the digit each row was asked for on its left.

    ``row_labels`` may instead name the rows (e.g. the epochs of
    :func:`acgan_lib.diagnostics.training_strip`); ``False`` shows none.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(picture.shape[1] / 60, picture.shape[0] / 60))
    ax.imshow(picture, cmap="gray", vmin=0, vmax=255)
    ax.set_xticks([])
    if row_labels is True:
        row_labels, ylabel = [str(i) for i in range(NUM_CLASSES)], ylabel or "requested digit"
    if row_labels:
        step = picture.shape[0] / len(row_labels)
        ax.set_yticks([step * (i + 0.5) for i in range(len(row_labels))], list(row_labels))
    else:
        ax.set_yticks([])
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def make_animation(pngs: list[str | os.PathLike], path: str | os.PathLike,
                   seconds_per_frame: float = 0.4) -> Path:
    """An animated GIF of the grids over training (Pillow, a dependency of matplotlib)."""
    from PIL import Image, ImageDraw

    frames = []
    for png in pngs:
        frame = Image.open(png).convert("L")
        ImageDraw.Draw(frame).text((2, 0), Path(png).stem.replace("grid_", ""), fill=0)
        frames.append(frame)
    if not frames:
        raise ValueError("no grids to animate")
    with atomic_write(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:],
                       duration=int(seconds_per_frame * 1000), loop=0)
    return Path(path)
