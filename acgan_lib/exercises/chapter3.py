"""Chapter 3's checker: the conditioning layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from acgan_lib.exercises._common import CheckResult, _call, _close, _finish, _numpy, _StudentError
from acgan_lib.models import LATENT_DIM
from acgan_lib.validation import NUM_CLASSES


def check_conditioning_layer(condition: Any, latent_dim: int = LATENT_DIM,
                             verbose: bool = True) -> CheckResult:
    """Check a conditioning step: ``condition(noise, labels) -> (n, d)`` that mixes the label in.

    ``condition`` is a function or a Keras layer called as ``condition(noise, labels)`` (or
    ``condition([noise, labels])``) with noise ``(n, latent_dim)`` float32 and labels ``(n, 1)``
    int32. Both ways of the course pass: a one-hot concatenated to the noise, and a learned
    ``Embedding(10, latent_dim)`` multiplied into it.
    """
    result = CheckResult("check_conditioning_layer")
    rng = np.random.default_rng(0)
    n = NUM_CLASSES
    noise = rng.standard_normal((n, latent_dim)).astype(np.float32)
    labels = np.arange(n, dtype=np.int32)[:, None]

    def run(z, y):
        def both():
            try:
                return condition(z, y)
            except TypeError as exc:
                if "positional argument" not in str(exc) and "takes" not in str(exc):
                    raise
                return condition([z, y])
        return _numpy(_call(result, "Your conditioning", both))

    try:
        out = run(noise, labels)
    except _StudentError:
        return _finish(result, verbose)
    if out.ndim == 3 and out.shape[0] == n and out.shape[1] == 1:
        result.problem(f"The output has shape {out.shape}: the embedding's extra axis is still "
                       "there.", "an Embedding of (n, 1) labels returns (n, 1, d): flatten "
                       "it (keras.layers.Flatten() or ops.reshape(e, (-1, d))) before "
                       "combining it with the noise.")
        return _finish(result, verbose)
    if out.ndim != 2 or out.shape[0] != n:
        result.problem(f"For {n} noise vectors the output has shape {out.shape}; expected "
                       f"({n}, d): one flat vector per image.",
                       "combine along the last axis (axis=-1), keeping the batch axis.")
        return _finish(result, verbose)
    result.ok(f"one vector of {out.shape[1]} numbers per image")
    try:
        again = run(noise, labels)
        same_noise = run(np.repeat(noise[:1], n, axis=0), labels)
        same_label = run(noise, np.full_like(labels, 3))
    except _StudentError:
        return _finish(result, verbose)
    if not _close(out, again, rtol=1e-6, atol=1e-6):
        result.problem("The same inputs give different outputs on two calls: new random "
                       "weights are created every time it is called.",
                       "create the Embedding (or any layer with weights) once, in __init__ "
                       "or outside the function, and only call it inside.")
        return _finish(result, verbose)
    rows = same_noise.reshape(n, -1).astype(np.float64)
    zero = np.flatnonzero(np.all(np.abs(rows) < 1e-7, axis=1))
    if len(zero):
        result.problem(f"For label {zero[0]} the output is all zeros: the noise is multiplied by "
                       "the label's number, so that digit erases its noise.",
                       "multiply by a learned embedding of the label, "
                       "keras.layers.Embedding(10, latent_dim), not by the label itself.")
        return _finish(result, verbose)
    gaps = np.abs(rows[:, None, :] - rows[None, :, :]).max(axis=-1)
    np.fill_diagonal(gaps, np.inf)
    if float(gaps.min()) < 1e-7:
        i, j = np.unravel_index(np.argmin(gaps), gaps.shape)
        if np.all(gaps[np.isfinite(gaps)] < 1e-7):
            result.problem("With the same noise, every label gives the same output: the label "
                           "never enters.", "combine the label with the noise: concatenate "
                           "its one-hot, or multiply its embedding into the noise.")
        else:
            result.problem(f"Labels {min(i, j)} and {max(i, j)} give the same output for the "
                           "same noise: the generator could not tell them apart.",
                           "one-hot encode all 10 classes (num_classes=10) or embed them with "
                           "Embedding(10, latent_dim).")
        return _finish(result, verbose)
    changed = np.abs(rows[1:] - rows[:1]) > 1e-7
    if changed.any(axis=0).sum() == 1:
        result.problem("The label enters as a single number (one column changes with it): the "
                       "network sees the digits as ordered quantities, 3 'between' 2 and 4.",
                       "one-hot encode it (keras.ops.one_hot(labels[:, 0], 10)) or embed it "
                       "(keras.layers.Embedding(10, latent_dim)).")
        return _finish(result, verbose)
    base = rows[0]
    usable = np.abs(base) > 1e-6
    ratios = rows[1:, usable] / base[usable]
    if usable.any() and np.all(ratios.max(axis=1) - ratios.min(axis=1) < 1e-4):
        result.problem("Each label only rescales the noise (the outputs for different labels "
                       "are multiples of each other): the label is used as a number, so digit "
                       "2 is just a louder digit 1.",
                       "multiply by a learned embedding of the label, "
                       "keras.layers.Embedding(10, latent_dim), not by the label itself.")
        return _finish(result, verbose)
    result.ok("each of the 10 labels gives a different output for the same noise")
    if np.abs(same_label[1:] - same_label[:1]).max() < 1e-7:
        result.problem("With the same label, different noise gives the same output: the noise "
                       "is lost.", "keep the noise in the output: concatenate or multiply, do "
                       "not replace it.")
    else:
        result.ok("the output still depends on the noise")
    return _finish(result, verbose)
