"""Chapter 4's checkers: the ACGAN's auxiliary loss, and a label accuracy read against real
digits."""

from __future__ import annotations

from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from acgan_lib.exercises._common import (CheckResult, _call, _close, _finish, _numpy, _scalar,
                                         _StudentError)
from acgan_lib.losses import auxiliary_loss
from acgan_lib.validation import NUM_CLASSES


def _aux_inputs(seed: int, n: int = 32, scale: float = 3.0):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, NUM_CLASSES)) * scale).astype(np.float32)
    labels = rng.integers(0, NUM_CLASSES, n).astype(np.int32)
    return logits, labels


def _aux_variants(logits, labels) -> dict[str, float]:
    """The reference and the values that typical mistakes give on the same inputs."""
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    # NumPy, not keras.ops.softmax: Keras tags its softmax outputs and silently undoes them
    # in a from_logits=True loss (with a warning); tf.nn.softmax, a model's own softmax layer
    # traced in a graph, and this array are not tagged.
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    softmax = (shifted / shifted.sum(axis=-1, keepdims=True)).astype(np.float32)
    sce = keras.losses.SparseCategoricalCrossentropy
    ref = float(_numpy(auxiliary_loss(logits, labels)))
    return {
        "reference": ref,
        "softmax_twice": float(_numpy(sce(from_logits=True)(labels, softmax))),
        "no_from_logits": float(_numpy(sce(from_logits=False)(labels, logits))),
        "sum": ref * len(labels),
        "negated": -ref,
        "binary": float(_numpy(keras.losses.BinaryCrossentropy(from_logits=True)(one_hot,
                                                                                 logits))),
    }


_AUX_MISTAKES = {
    "softmax_twice": ("Softmax applied twice: your value equals the cross-entropy of "
                      "softmax(logits) computed *as if they were logits*.",
                      "the class head outputs logits and the loss applies softmax itself "
                      "(from_logits=True): pass the logits unchanged."),
    "no_from_logits": ("from_logits is missing: your loss treats the logits as probabilities.",
                       "the discriminator's class head has no softmax, so use "
                       "SparseCategoricalCrossentropy(from_logits=True)."),
    "sum": ("Your loss is the *sum* over the batch, the reference the *mean* (yours is "
            "exactly batch-size times larger).",
            "average over the images (keras.ops.mean, or the losses' default reduction), so "
            "the learning rate does not depend on the batch size."),
    "negated": ("The sign is flipped: your loss is the log-likelihood, which the classifier "
                "maximises; a loss is what the optimiser minimises.",
                "return the *negative* log-likelihood, i.e. the cross-entropy itself."),
    "binary": ("This is binary cross-entropy: it scores each of the 10 classes as an "
               "independent yes/no question.",
               "the classes exclude each other: use (sparse) categorical cross-entropy."),
}


def check_auxiliary_loss(auxiliary_loss: Callable, verbose: bool = True) -> CheckResult:
    """Check ``auxiliary_loss(class_logits, labels)`` against :func:`acgan_lib.losses.auxiliary_loss`.

    ``class_logits`` are ``(n, 10)`` logits of the discriminator's class head, ``labels`` are
    integer class indices ``(n,)`` or ``(n, 1)``; the result is the mean cross-entropy.
    """
    result = CheckResult("check_auxiliary_loss")
    fn_name = "Your function"
    try:
        for seed in (0, 1):
            logits, labels = _aux_inputs(seed)
            variants = _aux_variants(logits, labels)
            try:
                value = _call(result, fn_name, auxiliary_loss, tf.constant(logits),
                              tf.constant(labels))
            except _StudentError:
                one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
                try:
                    alt = auxiliary_loss(tf.constant(logits), tf.constant(one_hot))
                    if alt is not None and _close(_numpy(alt), variants["reference"]):
                        result.problem("Your function expects one-hot labels, but the training "
                                       "step passes integer class indices (shape (n,) or "
                                       "(n, 1)).", "use SparseCategoricalCrossentropy, which "
                                       "takes indices, or one-hot them first with "
                                       "keras.ops.one_hot(labels, 10).")
                except Exception:
                    pass
                raise
            value = _scalar(result, value, fn_name)
            if _close(value, variants["reference"]):
                continue
            for key, (message, hint) in _AUX_MISTAKES.items():
                if _close(value, variants[key]):
                    result.problem(message, hint)
                    raise _StudentError
            result.problem(f"On random logits your loss is {value:.5g}; the reference "
                           f"auxiliary loss is {variants['reference']:.5g}.",
                           "it is the mean sparse categorical cross-entropy of the logits "
                           "(from_logits=True) against the integer labels.")
            raise _StudentError
        result.ok("matches the reference on random logits (mean cross-entropy from logits)")
        logits, labels = _aux_inputs(2)
        value2 = _scalar(result, _call(result, fn_name, auxiliary_loss, tf.constant(logits),
                                       tf.constant(labels[:, None])), fn_name)
        if _close(value2, _aux_variants(logits, labels)["reference"]):
            result.ok("accepts labels of shape (n, 1), as the training step passes them")
        else:
            result.problem("With labels of shape (n, 1) (how the training step passes them) "
                           "the value is wrong.", "reshape them first: "
                           "keras.ops.reshape(labels, (-1,)).")
        x = tf.constant(logits)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = auxiliary_loss(x, tf.constant(labels))
        grad = tape.gradient(value, x)
        if grad is None or not np.any(_numpy(grad)):
            result.problem("No gradient flows from your loss back to the logits, so the "
                           "classifier could not learn from it.",
                           "compute it with differentiable TensorFlow/Keras ops (no argmax, "
                           "no .numpy(), no NumPy functions).")
        else:
            result.ok("differentiable: gradients reach the logits")
        big, labels = _aux_inputs(3, scale=60.0)
        value3 = _scalar(result, _call(result, fn_name, auxiliary_loss, tf.constant(big),
                                       tf.constant(labels)), fn_name)
        expected = _aux_variants(big, labels)["reference"]
        if not np.isfinite(value3) or not _close(value3, expected, rtol=1e-3, atol=1e-3):
            result.problem(f"With very confident logits (about ±100) your loss is {value3:.5g}, "
                           f"the exact value {expected:.5g}: taking softmax then log in two "
                           "steps loses precision when the softmax underflows.",
                           "let the loss apply the softmax: from_logits=True.")
        else:
            result.ok("exact for very confident logits too (numerically stable)")
    except _StudentError:
        pass
    return _finish(result, verbose)


def check_accuracy_verdict(accuracy_verdict: Callable, verbose: bool = True) -> CheckResult:
    """Check ``accuracy_verdict(accuracy, real_accuracy, n_images)``: ``"below"``,
    ``"within"`` or ``"above"`` the real digits' band, ``real_accuracy`` plus or minus two
    binomial standard errors, ``2 * sqrt(p * (1 - p) / n_images)``
    (:func:`acgan_lib.evidence.real_band`). Above the band is not better: the generated
    digits are easier to read than real ones."""
    result = CheckResult("check_accuracy_verdict")
    fn = "Your function"
    p, n = 0.9928, 5000
    se = (p * (1 - p) / n) ** 0.5
    cases = [(0.9994, "above"), (0.9930, "within"), (p + 1.5 * se, "within"),
             (p - 1.5 * se, "within"), (p + 2.5 * se, "above"), (0.9864, "below"),
             (p - 2.5 * se, "below")]
    try:
        for accuracy, expected in cases:
            out = _call(result, fn, accuracy_verdict, accuracy, p, n)
            if out == expected:
                continue
            if expected == "above" and out == "within":
                result.problem(f"{accuracy:.2%} is above the band, yet your function says "
                               "'within': a score above real digits' is not a pass.",
                               "the band has an upper edge too: p + 2 * se.")
            elif abs(accuracy - p) > se and out == "within" or \
                    abs(accuracy - p) < 2 * se and out != "within":
                result.problem(f"For {accuracy:.3%} (real {p:.2%}, {n:,} images) your "
                               f"function says {out!r}; expected {expected!r}.",
                               "two standard errors each side, se = sqrt(p * (1 - p) / n).")
            else:
                result.problem(f"For {accuracy:.3%} your function returned {out!r}; "
                               f"expected {expected!r}.",
                               "return one of 'below', 'within', 'above'.")
            raise _StudentError
        result.ok("within two standard errors of the real digits' score: 'within'")
        result.ok("above the band: 'above' (easier than real digits), not a pass")
    except _StudentError:
        pass
    return _finish(result, verbose)
