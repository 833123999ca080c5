"""Pictures that diagnose a conditional generator: what the label and the noise each control,
where it fails, and whether it copies its training digits.

* :func:`style_grid`: the same noise under all ten labels (one row per noise vector): if the
  label controls the digit and the noise the style, each row keeps one style;
* :func:`noise_interpolation`: one digit, the noise moved from one vector to another;
* :func:`embedding_interpolation`: one noise vector, the label embedding of a multiplying
  generator moved from one digit's to another's;
* :func:`failures`: the least varied digit, and the most confused pair of digits with the
  images that were confused;
* :func:`nearest_training_images`: generated digits next to their nearest training digits in
  the classifier's feature space, and how near they are compared with unseen real digits;
* :func:`training_strip`: one noise vector under the ten labels, epoch after epoch, cut from
  a shipped model's per-epoch sample grids.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from acgan_lib.classifier import classifier_outputs
from acgan_lib.conditioning import label_embedding
from acgan_lib.data import scale_images
from acgan_lib.models import generate, latent_dim_of
from acgan_lib.validation import NUM_CLASSES, check_digit, check_positive_int, check_seed
from acgan_lib.viz import tile_images, unlabel_rows, untile_images


def style_grid(generator: keras.Model, styles: int = 6, seed: int = 0) -> np.ndarray:
    """A picture of ``styles`` rows: row ``i`` is noise vector ``i`` under labels 0 to 9."""
    check_positive_int(styles, "styles")
    check_seed(seed)
    noise = np.random.default_rng(seed).standard_normal((styles, latent_dim_of(generator)))
    noise = np.repeat(noise, NUM_CLASSES, axis=0).astype(np.float32)
    labels = np.tile(np.arange(NUM_CLASSES), styles)
    return tile_images(generate(generator, labels, noise=noise), rows=styles)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation from ``a`` to ``b`` at fractions ``t``: stays at the typical
    norm of Gaussian noise, where a straight line would pass through its low-norm middle
    (White, 2016, "Sampling generative networks")."""
    cos = np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    t = np.asarray(t, np.float64)[:, None]
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def noise_interpolation(generator: keras.Model, digit: int, steps: int = 10, rows: int = 3,
                        seed: int = 0) -> np.ndarray:
    """``rows`` interpolations of ``steps`` images each, for one ``digit``: the label stays,
    the noise moves (spherically) from one random vector to another."""
    digit = check_digit(digit)
    check_positive_int(steps, "steps")
    check_positive_int(rows, "rows")
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, steps)
    noise = np.concatenate([slerp(*rng.standard_normal((2, latent_dim_of(generator))), t)
                            for _ in range(rows)]).astype(np.float32)
    return tile_images(generate(generator, np.full(len(noise), digit), noise=noise), rows=rows)


def embedding_interpolation(generator: keras.Model, first: int, second: int, steps: int = 10,
                            rows: int = 3, seed: int = 0) -> np.ndarray:
    """For a multiplying generator: the noise stays, the label's embedding moves from digit
    ``first``'s vector to digit ``second``'s in ``steps`` steps (``rows`` noise vectors).

    The embedding's row for ``first`` is overwritten for each step and restored afterwards.
    """
    first, second = check_digit(first, "first"), check_digit(second, "second")
    check_positive_int(steps, "steps")
    table = label_embedding(generator).embeddings
    saved = np.array(table.numpy())
    noise = np.random.default_rng(seed).standard_normal((rows, latent_dim_of(generator)))
    columns = []
    try:
        for t in np.linspace(0.0, 1.0, steps):
            mixed = saved.copy()
            mixed[first] = (1 - t) * saved[first] + t * saved[second]
            table.assign(mixed)
            columns.append(generate(generator, np.full(rows, first), noise=noise))
    finally:
        table.assign(saved)
    images = np.stack(columns, axis=1).reshape(rows * steps, 28, 28, 1)
    return tile_images(images, rows=rows)


@dataclass
class Failures:
    """Where a generator fails: its least varied digit and its most confused pair."""

    least_varied_digit: int
    least_varied_diversity: float
    least_varied: np.ndarray  # a picture: samples of that digit
    requested: int  # the most confused pair: asked for this digit ...
    seen: int  # ... the classifier saw this one
    confused_fraction: float  # of the requested digit's images
    confused: np.ndarray  # a picture: images asked for ``requested``, seen as ``seen``


def failures(generator: keras.Model, evaluation: dict, examples: int = 8,
             seed: int = 0, classifier: keras.Model | None = None) -> Failures:
    """The failure gallery of a generator, from its ``evaluation``
    (:func:`acgan_lib.evaluation.evaluate_generator`, or a study run's ``final``)."""
    check_positive_int(examples, "examples")
    per_class = np.asarray(evaluation["diversity_per_class"], float)
    digit = int(np.nanargmin(per_class))
    matrix = np.asarray(evaluation["confusion_matrix"], float)
    off = matrix.copy()
    np.fill_diagonal(off, -1)
    requested, seen = map(int, np.unravel_index(np.argmax(off), off.shape))
    fraction = float(matrix[requested, seen] / matrix[requested].sum())
    least = generate(generator, np.full(examples, digit), seed=seed)
    asked = generate(generator, np.full(50 * examples, requested), seed=seed)
    logits, _ = classifier_outputs(asked, classifier)
    confused = asked[logits.argmax(axis=1) == seen][:examples]
    if len(confused) < examples:  # too rare to find: pad with blanks (white in the picture)
        blank = np.ones((examples - len(confused), 28, 28, 1), np.float32)
        confused = np.concatenate([confused, blank])
    return Failures(digit, float(per_class[digit]), tile_images(least, rows=1), requested, seen,
                    fraction, tile_images(confused, rows=1))


@dataclass
class Memorisation:
    """Generated digits and their nearest training digits, in the classifier's features."""

    pairs: np.ndarray  # a picture: row 1 generated, row 2 their nearest training digits
    generated_distance: float  # median distance of a generated digit to its nearest
    unseen_distance: float  # the same for real digits the generator never saw


def _nearest(queries: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index and Euclidean distance of each query's nearest row of ``pool``."""
    d2 = ((queries ** 2).sum(1)[:, None] - 2 * queries @ pool.T + (pool ** 2).sum(1)[None])
    index = d2.argmin(axis=1)
    return index, np.sqrt(np.maximum(d2[np.arange(len(queries)), index], 0))


def nearest_training_images(generator: keras.Model, data, examples: int = 10,
                            n: int = 500, seed: int = 0,
                            classifier: keras.Model | None = None) -> Memorisation:
    """A memorisation check: are generated digits nearer to training digits than unseen real
    digits are? ``n`` generated and ``n`` held-out images (``data.x_test``) are compared with
    every training image; ``examples`` pairs are drawn."""
    check_positive_int(n, "n")
    labels = np.arange(n) % NUM_CLASSES
    fake = generate(generator, labels, seed=seed)
    _, train_features = classifier_outputs(data.x_train, classifier)
    _, fake_features = classifier_outputs(fake, classifier)
    unseen = np.random.default_rng(seed).permutation(len(data.x_test))[:n]
    _, unseen_features = classifier_outputs(data.x_test[unseen], classifier)
    index, fake_distance = _nearest(fake_features, train_features)
    _, unseen_distance = _nearest(unseen_features, train_features)
    shown = np.arange(min(examples, n))
    nearest = scale_images(data.x_train[index[shown]])
    pairs = tile_images(np.concatenate([fake[shown], nearest]), rows=2)
    return Memorisation(pairs, float(np.median(fake_distance)), float(np.median(unseen_distance)))


def training_strip(history, epochs: list[int] | None = None, column: int = 0) -> np.ndarray:
    """One row per epoch: column ``column`` of that epoch's sample grid (one noise vector under
    labels 0 to 9), so the rows show the same inputs as training went on.

    ``history`` is :func:`acgan_lib.pretrained.pretrained_history`'s; ``epochs`` picks rows
    (default: every epoch it has).
    """
    by_epoch = dict(zip(history.epochs, history.grids))
    epochs = list(history.epochs) if epochs is None else list(epochs)
    missing = [e for e in epochs if e not in by_epoch]
    if not epochs or missing:
        raise ValueError(f"no sample grid for epoch(s) {missing or epochs}; this history has "
                         f"epochs {history.epochs[0]} to {history.epochs[-1]}")
    rows = []
    for epoch in epochs:
        images = untile_images(unlabel_rows(by_epoch[epoch]), rows=NUM_CLASSES)
        per_row = len(images) // NUM_CLASSES
        column = check_digit(column, "column", num_classes=per_row)
        rows.append(images.reshape(NUM_CLASSES, per_row, *images.shape[1:])[:, column])
    images = np.concatenate(rows)
    return tile_images(images, rows=len(epochs))
