"""How strongly does a generator's output depend on the label it is given?

A conditional generator maps ``(noise, label)`` to an image. If the label is "drowned" by the
noise (the article's worry about concatenating a 10-way one-hot to 100 noise dimensions), then
changing only the label barely changes the image, while changing only the noise changes it a
lot. :func:`label_dependence` measures exactly that, with paired inputs:

* **label change**: the same noise ``z`` with two different labels, ``G(z, a)`` vs ``G(z, b)``;
* **noise change**: the same label ``c`` with two independent noises, ``G(z1, c)`` vs ``G(z2, c)``.

Both are mean absolute differences (pixels in [-1, 1], or the activations of an inner layer),
averaged over many pairs. Their ratio says how much the label moves the output relative to the
noise: 0 means the label is ignored; around 1 or more means the label matters as much as the
noise does. The measure is about *sensitivity*, not correctness: a generator that draws a crisp
wrong digit for every label scores high here and low on classifier-based label accuracy, so
read it next to :mod:`acgan_lib.evaluation`'s metrics.

Measured at ``layer="dense"`` (the first layer after the label has entered) it tests the
drowning claim where it is made, at the input; measured on images it tests what a reader sees.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import keras
import numpy as np

from acgan_lib.models import latent_dim_of
from acgan_lib.validation import NUM_CLASSES, check_positive_int


@dataclass(frozen=True)
class LabelDependence:
    """The result of :func:`label_dependence` (averages over ``pairs`` input pairs)."""

    label_change: float  # mean |G(z, a) - G(z, b)|, a != b
    noise_change: float  # mean |G(z1, c) - G(z2, c)|
    pairs: int
    layer: str | None  # None: the generated images

    @property
    def ratio(self) -> float:
        """``label_change / noise_change`` (``inf`` if the noise changes nothing)."""
        if self.noise_change == 0:
            return math.inf if self.label_change > 0 else float("nan")
        return self.label_change / self.noise_change

    def to_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def _output_model(generator: keras.Model, layer: str | None) -> keras.Model:
    if layer is None:
        return generator
    try:
        inner = generator.get_layer(layer)
    except ValueError:
        names = ", ".join(lay.name for lay in generator.layers)
        raise ValueError(f"the generator has no layer named {layer!r}; its layers are: "
                         f"{names}") from None
    return keras.Model(generator.inputs, inner.output, name=f"{generator.name}_to_{layer}")


def _run(model: keras.Model, noise: np.ndarray, labels: np.ndarray, batch_size: int) -> np.ndarray:
    out = [np.asarray(model([noise[i:i + batch_size], labels[i:i + batch_size, None]],
                            training=False), np.float32)
           for i in range(0, len(labels), batch_size)]
    return np.concatenate(out)


def label_dependence(generator: keras.Model, pairs: int = 1000, seed: int = 0,
                     layer: str | None = None, num_classes: int = NUM_CLASSES,
                     batch_size: int = 500) -> LabelDependence:
    """Compare how much the output changes when only the label changes vs only the noise.

    Args:
        generator: ``[noise (n, latent_dim), label (n, 1) int] -> output``.
        pairs: number of input pairs for each of the two comparisons.
        seed: seed of the noise and labels (the same seed gives the same pairs).
        layer: name of an inner layer to measure (e.g. ``"dense"``); ``None`` for the images.
        num_classes: labels are drawn from ``0 .. num_classes - 1``.
        batch_size: generation batch size (memory only; does not change the result).

    Returns:
        :class:`LabelDependence` with ``label_change``, ``noise_change`` and ``ratio``.
    """
    check_positive_int(pairs, "pairs")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2 (two labels are needed to change "
                         f"the label), got {num_classes!r}")
    if not isinstance(generator, keras.Model) or len(generator.inputs) != 2:
        raise TypeError("generator must be a keras.Model with two inputs [noise, label], e.g. "
                        "acgan_lib.models.build_generator(); got "
                        f"{type(generator).__name__}")
    latent_dim = latent_dim_of(generator)
    model = _output_model(generator, layer)
    rng = np.random.default_rng(seed)
    z1 = rng.standard_normal((pairs, latent_dim)).astype(np.float32)
    z2 = rng.standard_normal((pairs, latent_dim)).astype(np.float32)
    a = rng.integers(0, num_classes, pairs).astype(np.int32)
    # b differs from a by a uniformly drawn non-zero shift, so every pair changes the label.
    b = ((a + rng.integers(1, num_classes, pairs)) % num_classes).astype(np.int32)

    out_a = _run(model, z1, a, batch_size)
    out_b = _run(model, z1, b, batch_size)
    out_z2 = _run(model, z2, a, batch_size)
    axes = tuple(range(1, out_a.ndim))
    label_change = float(np.mean(np.abs(out_a - out_b).mean(axis=axes)))
    noise_change = float(np.mean(np.abs(out_a - out_z2).mean(axis=axes)))
    return LabelDependence(label_change, noise_change, int(pairs), layer)


def label_embedding(generator: keras.Model):
    """The ``label_embedding`` layer of a generator that multiplies it into the noise, or a
    clear error for one that does not (a concatenating generator has none)."""
    try:
        return generator.get_layer("label_embedding")
    except ValueError:
        raise ValueError("this needs a generator that multiplies a label embedding into the "
                         "noise (build_generator('multiply')); this one has no layer named "
                         "'label_embedding'") from None


def label_gains(generator: keras.Model) -> np.ndarray:
    """Per digit, the length of its label embedding in a multiplying generator: the gain that
    label applies to the noise (``embedding[c] * z``).

    Why it matters: a digit whose gain is near zero hands the next layer almost the same input
    whatever the noise, so the generator draws it in nearly one way. A concatenating
    generator adds the label instead (a per-class bias), which cannot shrink the noise.
    """
    table = np.asarray(label_embedding(generator).embeddings.numpy(), np.float64)
    return np.linalg.norm(table, axis=1)
