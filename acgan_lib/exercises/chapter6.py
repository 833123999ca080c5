"""Chapter 6's checker: label accuracy."""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf

from acgan_lib import losses
from acgan_lib.exercises._common import (CheckResult, _call, _close, _finish, _numpy, _scalar,
                                         _StudentError)
from acgan_lib.validation import NUM_CLASSES


def _accuracy_inputs(n: int = 40, correct: int = 26, seed: int = 0):
    """Logits whose argmax equals the label for exactly ``correct`` of ``n`` images."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, n).astype(np.int32)
    predicted = labels.copy()
    wrong = rng.permutation(n)[: n - correct]
    predicted[wrong] = (labels[wrong] + rng.integers(1, NUM_CLASSES, len(wrong))) % NUM_CLASSES
    logits = rng.standard_normal((n, NUM_CLASSES)).astype(np.float32)
    logits[np.arange(n), predicted] += 10.0
    return logits, labels


def check_class_accuracy(class_accuracy: Callable, verbose: bool = True) -> CheckResult:
    """Check ``class_accuracy(class_logits, labels)``: the fraction of images whose highest
    logit is the requested label. Reference: :func:`acgan_lib.losses.class_accuracy`."""
    result = CheckResult("check_class_accuracy")
    fn = "Your function"
    n, correct = 40, 26
    logits, labels = _accuracy_inputs(n, correct)
    expected = float(_numpy(losses.class_accuracy(logits, labels)))
    try:
        value = _scalar(result, _call(result, fn, class_accuracy, tf.constant(logits),
                                      tf.constant(labels)), fn)
        if _close(value, expected):
            result.ok(f"{correct} of {n} right gives {expected:.3f}")
        elif _close(value, correct):
            result.problem(f"Your function returns the number of correct images ({value:g}), "
                           "not the fraction.", "divide by the number of images, or take the "
                           "mean of the 0/1 matches.")
            raise _StudentError
        elif _close(value, 100 * expected):
            result.problem(f"Your function returns a percentage ({value:g}); the course's "
                           "accuracies are fractions in [0, 1].", "drop the factor 100.")
            raise _StudentError
        else:
            result.problem(f"With {correct} of {n} images right your function gives "
                           f"{value:.4g}; expected {expected:.4g}.",
                           "take the highest logit of each image (argmax over the class axis, "
                           "axis=-1), compare it with the label, and average the matches.")
            raise _StudentError
        value2 = _scalar(result, _call(result, fn, class_accuracy, tf.constant(logits),
                                       tf.constant(labels[:, None])), fn)
        if _close(value2, expected):
            result.ok("labels of shape (n, 1) work too")
        else:
            result.problem(f"With labels of shape (n, 1) your function gives {value2:.4g} "
                           f"instead of {expected:.4g}: comparing (n,) predictions with (n, 1) "
                           "labels broadcasts to an (n, n) table of every pair.",
                           "flatten the labels first: keras.ops.reshape(labels, (-1,)).")
        logits0, labels0 = _accuracy_inputs(20, 0, seed=1)
        value3 = _scalar(result, _call(result, fn, class_accuracy, tf.constant(logits0),
                                       tf.constant(labels0)), fn)
        if _close(value3, 0.0):
            result.ok("0 when every prediction is wrong")
        else:
            result.problem(f"When no image is classified as requested your function gives "
                           f"{value3:.4g}, not 0.", "count only the images whose argmax "
                           "equals their label.")
    except _StudentError:
        pass
    return _finish(result, verbose)
