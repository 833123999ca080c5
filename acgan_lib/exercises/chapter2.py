"""Chapter 2's checker: the CGAN's generator."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from acgan_lib.exercises._common import CheckResult, _call, _finish, _numpy, _StudentError
from acgan_lib.validation import NUM_CLASSES


def _as_model(result: CheckResult, model_or_build: Any, what: str):
    if isinstance(model_or_build, keras.Model):
        return model_or_build
    if not callable(model_or_build):
        result.problem(f"Expected a keras.Model or a function that builds one; got "
                       f"{type(model_or_build).__name__}.",
                       f"pass your model, or your build function itself: `check(build_my_{what})`"
                       ", without calling it.")
        raise _StudentError
    model = _call(result, "Your build function", model_or_build)
    if not isinstance(model, keras.Model):
        result.problem(f"Your build function returned a {type(model).__name__}, not a "
                       "keras.Model.", "end it with `return keras.Model([noise, label], image)`.")
        raise _StudentError
    return model


def check_generator(generator: Any, verbose: bool = True) -> CheckResult:
    """Check a conditional generator (a ``keras.Model`` or a function returning one).

    It must take ``[noise (n, latent_dim), label (n, 1) int]`` and return ``(n, 28, 28, 1)``
    in [-1, 1] (a ``tanh`` output), and its output must depend on the label and the noise.
    Reference: :func:`acgan_lib.models.build_generator`.
    """
    result = CheckResult("check_generator")
    try:
        model = _as_model(result, generator, "generator")
    except _StudentError:
        return _finish(result, verbose)
    inputs = list(model.inputs)
    if len(inputs) != 2:
        result.problem(f"Your generator has {len(inputs)} input(s); a conditional generator "
                       "has two, [noise, label].",
                       "create both with keras.Input and pass both to keras.Model([noise, "
                       "label], image).")
        return _finish(result, verbose)
    shapes = [tuple(x.shape[1:]) for x in inputs]
    if shapes[0] == (1,) and len(shapes[1]) == 1 and shapes[1][0] and shapes[1][0] > 1:
        result.problem("The inputs are in the order [label, noise].",
                       "the course (and generate(), sample_grid()) call generators with "
                       "[noise, label]: swap them in keras.Model([...], image).")
        return _finish(result, verbose)
    if len(shapes[0]) != 1 or not shapes[0][0]:
        result.problem(f"The first input has shape {shapes[0]}; noise is a flat vector "
                       "(latent_dim,).", "noise = keras.Input((latent_dim,)).")
        return _finish(result, verbose)
    if shapes[1] != (1,):
        hint = ("the label is one integer per image: keras.Input((1,), dtype='int32'); turn "
                "it into a one-hot or an embedding inside the model.")
        result.problem(f"The label input has shape {shapes[1]}; the course passes labels as "
                       "(n, 1) integers.", hint)
        return _finish(result, verbose)
    latent_dim = int(shapes[0][0])
    result.ok(f"two inputs: noise ({latent_dim},) and label (1,)")

    rng = np.random.default_rng(0)
    n = NUM_CLASSES
    noise = rng.standard_normal((n, latent_dim)).astype(np.float32)
    labels = np.arange(n, dtype=np.int32)[:, None] % NUM_CLASSES

    def run(z, y):
        return _numpy(_call(result, "Your generator", lambda: model([z, y], training=False)))

    try:
        out = run(noise, labels)
    except _StudentError:
        return _finish(result, verbose)
    if out.shape != (n, 28, 28, 1):
        hint = {(n, 28, 28): "add the channel axis: the last layer should be a Conv2D with 1 "
                             "filter (or a Reshape to (28, 28, 1)).",
                (n, 784): "reshape to (28, 28, 1), e.g. keras.layers.Reshape((28, 28, 1))."}
        result.problem(f"For {n} inputs the output has shape {out.shape}; expected "
                       f"({n}, 28, 28, 1).", hint.get(out.shape, "two x2 upsamplings take 7x7 "
                       "to 28x28; end with a Conv2D(1, ...) whose activation is tanh."))
        return _finish(result, verbose)
    result.ok("output shape (n, 28, 28, 1)")
    if not np.isfinite(out).all():
        result.problem("The output contains NaN or infinite values.",
                       "check the layers for divisions or logs; a tanh output is always finite.")
        return _finish(result, verbose)
    # Saturate the network: with a tanh output the values stay in [-1, 1] however large the
    # input; a linear or ReLU output grows with it, a sigmoid never goes below 0.
    try:
        big = run(noise * 1000.0, labels)
    except _StudentError:
        return _finish(result, verbose)
    lo, hi = float(min(out.min(), big.min())), float(max(out.max(), big.max()))
    last = _last_activation(model)
    if lo < -1 - 1e-5 or hi > 1 + 1e-5:
        result.problem(f"Outputs reach [{lo:.3g}, {hi:.3g}], outside [-1, 1] (found by feeding "
                       f"large noise; the last layer's activation is {last or 'unknown'}).",
                       "real images are scaled to [-1, 1]: give the last layer "
                       "activation='tanh'.")
    elif lo >= 0:
        result.problem(f"Outputs are never negative (they stay in [{lo:.3g}, {hi:.3g}]; last "
                       f"activation: {last or 'unknown'}), but the black background of a real "
                       "image is -1.", "use activation='tanh' (range [-1, 1]) instead of "
                       "sigmoid or relu on the last layer.")
    else:
        result.ok(f"values in [-1, 1] (last activation: {last or 'tanh-like'})")
    try:
        same_noise = run(np.repeat(noise[:1], n, axis=0), labels)
        same_label = run(noise, np.full_like(labels, 3))
    except _StudentError:
        return _finish(result, verbose)
    label_change = float(np.abs(same_noise - same_noise[:1]).mean(axis=(1, 2, 3))[1:].min())
    noise_change = float(np.abs(same_label - same_label[:1]).mean(axis=(1, 2, 3))[1:].min())
    if label_change < 1e-7:
        result.problem("With the same noise, different labels give the same image: the output "
                       "does not depend on the label.",
                       "make the label reach the layers: concatenate its one-hot to the noise, "
                       "or multiply an Embedding(10, latent_dim) of it into the noise, and "
                       "use that combined tensor as the input of the first Dense layer.")
    else:
        result.ok("the image changes when only the label changes")
    if noise_change < 1e-7:
        result.problem("With the same label, different noise gives the same image: every "
                       "digit would be drawn one way only.",
                       "feed the noise (combined with the label) into the first Dense layer.")
    else:
        result.ok("the image changes when only the noise changes")
    if result.passed:
        result.note(f"{model.count_params():,} weights")
    return _finish(result, verbose)


def _last_activation(model) -> str | None:
    """Name of the activation of the layer that produces the model's output, if known."""
    try:
        layer = model.layers[-1]
    except (AttributeError, IndexError):
        return None
    act = getattr(layer, "activation", None)
    if act is None:
        return None
    return getattr(act, "__name__", type(act).__name__)
