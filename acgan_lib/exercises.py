"""Checkers for the chapters' code exercises: specific, kind feedback instead of pass/fail.

A student writes a function (or a model, or a layer) in a notebook and hands it to the
matching checker::

    from acgan_lib.exercises import check_auxiliary_loss

    def my_auxiliary_loss(class_logits, labels):
        ...

    feedback = check_auxiliary_loss(my_auxiliary_loss)

The checker runs the student's code on small random inputs, compares it with the library's
reference (:mod:`acgan_lib.losses`, :mod:`acgan_lib.data`, ...), recognises the typical mistakes
(softmax applied twice, a sum instead of a mean, a frozen discriminator left frozen, ...) and
prints what it found, with a hint for each problem. It never raises because of the student's
code: an exception in their function becomes a message. It returns a :class:`CheckResult`
(``passed``, ``messages``), which is truthy when every check passed.

========================================  =====================================================
checker                                   what the student writes
========================================  =====================================================
:func:`check_scaling`                     ``scale(images_uint8) -> float32 (n, 28, 28, 1)``
:func:`check_generator`                   a generator model, or a function that builds one
:func:`check_conditioning_layer`          ``condition(noise, labels) -> (n, d)``
:func:`check_auxiliary_loss`              ``auxiliary_loss(class_logits, labels) -> scalar``
:func:`check_generator_update`            ``generator_update(generator, discriminator,
                                          g_optimizer, noise, labels) -> loss``, or a
                                          ``ConditionalGAN`` subclass
:func:`check_label_accuracy`              ``label_accuracy(class_logits, labels) -> fraction``
:func:`check_distributed_loss`            ``replica_loss(per_image_losses, global_batch_size)``
:func:`check_seed_difference`             ``seed_difference(a, b) -> (difference, standard
                                          error)`` of two arms' per-seed values
========================================  =====================================================
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

PASS, FAIL, NOTE = "pass", "fail", "note"
_SYMBOL = {PASS: "✓", FAIL: "✗", NOTE: "•"}


# ------------------------------------------------------------------------------ results
@dataclass
class CheckResult:
    """What a checker found: ``passed`` and one message per check (problems carry a hint).

    ``bool(result)`` is ``result.passed``; ``str(result)`` is the feedback as printed.
    """

    check: str
    passed: bool = True
    messages: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    def ok(self, message: str) -> "CheckResult":
        return self._add(PASS, message)

    def problem(self, message: str, hint: str = "") -> "CheckResult":
        self.passed = False
        return self._add(FAIL, message + (f"\n    Hint: {hint}" if hint else ""))

    def note(self, message: str) -> "CheckResult":
        return self._add(NOTE, message)

    def _add(self, kind: str, message: str) -> "CheckResult":
        self.kinds.append(kind)
        self.messages.append(message)
        return self

    @property
    def problems(self) -> list[str]:
        """The messages of the checks that failed."""
        return [m for m, k in zip(self.messages, self.kinds) if k == FAIL]

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        n = len(self.problems)
        if self.passed:
            head = f"{self.check}: well done, every check passed."
        else:
            head = (f"{self.check}: not there yet, {n} thing{'s' if n > 1 else ''} to fix "
                    "(details below).")
        lines = [head] + [f"  {_SYMBOL[k]} {m}" for m, k in zip(self.messages, self.kinds)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        state = "passed" if self.passed else f"{len(self.problems)} problem(s)"
        return f"CheckResult({self.check}: {state})"


def _finish(result: CheckResult, verbose: bool) -> CheckResult:
    if verbose:
        print(result)
    return result


class _StudentError(Exception):
    """The student's code raised or returned nothing; the message is already recorded."""


def _call(result: CheckResult, what: str, fn: Callable, *args, **kwargs):
    """Call the student's ``fn``; turn an exception or a missing ``return`` into a message."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        result.problem(f"{what} is not written yet (it raises NotImplementedError).",
                       "replace the `raise NotImplementedError` line with your code, then run "
                       "this check again.")
        raise _StudentError from None
    except Exception as exc:  # the student's bug, reported rather than raised
        for marker, message, hint in _KNOWN_ERRORS:
            if marker in str(exc):
                result.problem(f"{what} raised {type(exc).__name__}: {message}", hint)
                raise _StudentError from None
        result.problem(f"{what} raised {type(exc).__name__}: {_short(exc)}",
                       "read the error's last line; the check calls it with the inputs "
                       "described in the exercise.")
        raise _StudentError from None
    if out is None:
        result.problem(f"{what} returned None.",
                       "did you forget the `return` statement at the end?")
        raise _StudentError
    return out


#: Errors whose Keras/TensorFlow message is less helpful than what usually causes them.
_KNOWN_ERRORS = [
    ("No gradients provided for any variable",
     "no gradient reached the variables, so the weights did not move.",
     "run the forward pass (generator *and* discriminator) inside `with tf.GradientTape() as "
     "tape:`, then take tape.gradient(loss, generator.trainable_variables)."),
    ("can only be called for the variables it was originally built with",
     "the optimizer was given variables it was not built for (another network's?).",
     "each optimizer updates one network: apply g_optimizer to "
     "generator.trainable_variables only."),
]


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _numpy(x) -> np.ndarray:
    import keras

    try:
        return np.asarray(keras.ops.convert_to_numpy(x))
    except Exception:  # lists, numpy arrays, Python numbers
        return np.asarray(x)


def _close(a, b, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _scalar(result: CheckResult, value, what: str) -> float:
    arr = _numpy(value)
    if arr.size != 1:
        result.problem(f"{what} returned an array of shape {arr.shape}, not a single number.",
                       "a loss or a rate for a whole batch is one number: average over the "
                       "images (`keras.ops.mean`), or check the loss's `reduction`.")
        raise _StudentError
    return float(arr.reshape(()))


# ------------------------------------------------------------------------------ chapter 1
def check_scaling(scale: Callable, verbose: bool = True) -> CheckResult:
    """Check ``scale(images)``: uint8 ``(n, 28, 28)`` -> float32 ``(n, 28, 28, 1)`` in [-1, 1].

    Reference: :func:`acgan_lib.data.scale_images` (``x / 127.5 - 1``).
    """
    from acgan_lib.data import scale_images

    result = CheckResult("check_scaling")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    images[0] = 0
    images[1] = 255
    images[2, :, :] = np.arange(28 * 28, dtype=np.int64).reshape(28, 28) % 256
    given = images.copy()
    expected = scale_images(images)
    try:
        out = _numpy(_call(result, "Your function", scale, given))
    except _StudentError:
        return _finish(result, verbose)
    if not np.array_equal(given, images):
        result.problem("Your function changed the images it was given (in place).",
                       "build a new array instead, e.g. `x = images.astype('float32')` first.")
    if out.shape == (6, 28, 28):
        result.problem("The output has shape (n, 28, 28): the channel axis is missing.",
                       "convolutions expect (n, 28, 28, 1): add it with `x[..., None]` "
                       "or `np.expand_dims(x, -1)`.")
        out = out[..., None]
    elif out.shape != (6, 28, 28, 1):
        result.problem(f"The output has shape {out.shape}; expected (n, 28, 28, 1) for n "
                       "input images.", "keep one image per input image and add a channel "
                       "axis; do not flatten.")
        return _finish(result, verbose)
    else:
        result.ok("shape (n, 28, 28, 1)")
    if out.dtype != np.float32:
        kind = "integers" if np.issubdtype(out.dtype, np.integer) else str(out.dtype)
        result.problem(f"The output's dtype is {out.dtype} ({kind}); the networks work in "
                       "float32.", "convert first: `images.astype('float32')`; float64 "
                       "doubles the memory and TensorFlow would have to convert it.")
    values = out.astype(np.float64)
    lo, hi = float(values[0].min()), float(values[1].max())
    ramp = values[2].ravel()
    pixel = given[2].ravel().astype(np.int64)
    order = np.argsort(pixel, kind="stable")
    if np.any(np.diff(ramp[order]) < -1e-6):
        result.problem("Brighter pixels do not always get larger values: the mapping is not "
                       "increasing, which is what integer overflow does (uint8 arithmetic "
                       "wraps around: 0 - 1 = 255).",
                       "convert to float before subtracting: `images.astype('float32') / "
                       "127.5 - 1`.")
    elif _close(values, expected, atol=1e-4):
        result.ok("0 -> -1 and 255 -> 1, linear in between: the range of tanh")
    elif abs(lo) < 1e-4 and abs(hi - 1) < 1e-4:
        result.problem("Your values are in [0, 1] (0 -> 0, 255 -> 1): you divided by 255 but "
                       "did not shift.", "the generator's tanh outputs [-1, 1], so real "
                       "images must use that range too: `x / 127.5 - 1`.")
    elif abs(lo) < 1e-4 and abs(hi - 2) < 1e-4:
        result.problem("Your values are in [0, 2] (255 -> 2): you divided by 127.5 but did "
                       "not subtract 1.", "`x / 127.5 - 1` maps 0 to -1 and 255 to 1.")
    elif abs(lo + 0.5) < 1e-3 and abs(hi - 0.5) < 1e-3:
        result.problem("Your values are in [-0.5, 0.5]: you centred the pixels but divided by "
                       "255.", "divide by half the range, 127.5, to reach [-1, 1].")
    elif abs(lo + 1) < 1e-4 and abs(hi - 1) > 1e-4:
        result.problem(f"0 maps to -1 but 255 maps to {hi:.4g}, not 1.",
                       "use 127.5 (half of 255), not 128: `x / 127.5 - 1`.")
    else:
        result.problem(f"0 maps to {lo:.4g} and 255 to {hi:.4g}; expected -1 and 1.",
                       "the formula is `x / 127.5 - 1` (equivalently `(x - 127.5) / 127.5`).")
    return _finish(result, verbose)


# ------------------------------------------------------------------------------ chapter 2
def _as_model(result: CheckResult, model_or_build: Any, what: str):
    import keras

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
    n = 10
    noise = rng.standard_normal((n, latent_dim)).astype(np.float32)
    labels = np.arange(n, dtype=np.int32)[:, None] % 10

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


# ------------------------------------------------------------------------------ chapter 3
def check_conditioning_layer(condition: Any, latent_dim: int = 100,
                             verbose: bool = True) -> CheckResult:
    """Check a conditioning step: ``condition(noise, labels) -> (n, d)`` that mixes the label in.

    ``condition`` is a function or a Keras layer called as ``condition(noise, labels)`` (or
    ``condition([noise, labels])``) with noise ``(n, latent_dim)`` float32 and labels ``(n, 1)``
    int32. Both ways of the course pass: a one-hot concatenated to the noise, and a learned
    ``Embedding(10, latent_dim)`` multiplied into it.
    """
    result = CheckResult("check_conditioning_layer")
    rng = np.random.default_rng(0)
    n = 10
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


# ------------------------------------------------------------------------------ chapter 4
def _aux_inputs(seed: int, n: int = 32, scale: float = 3.0):
    rng = np.random.default_rng(seed)
    logits = (rng.standard_normal((n, 10)) * scale).astype(np.float32)
    labels = rng.integers(0, 10, n).astype(np.int32)
    return logits, labels


def _aux_variants(logits, labels) -> dict[str, float]:
    """The reference and the values that typical mistakes give on the same inputs."""
    import keras

    from acgan_lib.losses import auxiliary_loss

    one_hot = np.eye(10, dtype=np.float32)[labels]
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
    import tensorflow as tf

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
                one_hot = np.eye(10, dtype=np.float32)[labels]
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


# ------------------------------------------------------------------------------ chapter 5
def _weights(variables) -> list[np.ndarray]:
    return [np.array(v.numpy(), copy=True) for v in variables]


def _moved(before, variables) -> float:
    return float(sum(np.abs(b - v.numpy()).sum() for b, v in zip(before, variables)))


def check_generator_update(update: Any, verbose: bool = True) -> CheckResult:
    """Check a generator update: the generator learns, the discriminator's weights do not move.

    ``update`` is either

    * a function ``generator_update(generator, discriminator, g_optimizer, noise, labels)``
      that makes one optimizer step on the generator and returns the generator's loss, with an
      ACGAN discriminator ``image -> [real_logit, class_logits]``; or
    * a :class:`~acgan_lib.training.ConditionalGAN` subclass (or instance) that overrides
      ``generator_update(noise, labels)`` or ``train_step(data)``.

    It detects the chapter 5 mistakes: toggling ``discriminator.trainable`` (and leaving it
    off), applying the generator's optimizer to the discriminator too, a loss that makes the
    discriminator *less* fooled, and a generator that does not move.
    """
    import keras

    result = CheckResult("check_generator_update")
    keras.utils.set_random_seed(0)
    mode, cls = _update_mode(result, update)
    if mode is None:
        return _finish(result, verbose)
    try:
        setup = _UpdateSetup(result, cls, mode)
        seen = _run_update(result, update, mode, setup)
        _judge_trainable(result, seen, setup)
        if not seen.crashed and _judge_variables(result, mode, seen, setup) \
                and mode != "train_step" and not seen.wrong:
            _judge_loss(result, seen, setup)
    except _StudentError:
        pass
    return _finish(result, verbose)


def _update_mode(result: CheckResult, update) -> tuple[str | None, type | None]:
    """``("function" | "method" | "train_step", the GAN class or None)``; ``(None, None)``
    after reporting an argument that is none of these."""
    from acgan_lib.training import ConditionalGAN

    if inspect.isclass(update) and issubclass(update, ConditionalGAN):
        cls = update
    elif isinstance(update, ConditionalGAN):
        cls = type(update)
    elif callable(update):
        return "function", None
    else:
        result.problem(f"Expected a function or a ConditionalGAN subclass, got "
                       f"{type(update).__name__}.", "pass your function itself (no "
                       "parentheses), e.g. check_generator_update(generator_update).")
        return None, None
    if cls.train_step is not ConditionalGAN.train_step:
        return "train_step", cls
    if cls.generator_update is ConditionalGAN.generator_update:
        result.note(f"{cls.__name__} overrides neither generator_update nor train_step: "
                    "checking the library's own.")
    return "method", cls


class _UpdateSetup:
    """A tiny GAN, fixed noise and labels, and everything measured before the update."""

    def __init__(self, result: CheckResult, cls, mode: str):
        import keras

        from acgan_lib.training import ConditionalGAN

        self.gan = _tiny_gan(result, cls)
        self.g, self.d = self.gan.generator, self.gan.discriminator
        rng = np.random.default_rng(0)
        n = 16
        self.rng = rng
        self.noise = rng.standard_normal((n, self.gan.latent_dim)).astype(np.float32)
        self.labels = (np.arange(n, dtype=np.int32) % 10)[:, None]
        self.reference = ConditionalGAN(self.g, self.d, auxiliary=True,
                                        latent_dim=self.gan.latent_dim)
        self.terms_before = _generator_terms(self.reference, self.g, self.noise, self.labels)
        self.g_list = list(self.g.trainable_variables)
        self.d_list = list(self.d.trainable_variables)
        self.g_before, self.d_before = _weights(self.g_list), _weights(self.d_list)
        self.g_vars = {id(v) for v in self.g_list}
        self.d_vars = {id(v) for v in self.d_list}
        self.flags = [layer.trainable for layer in self.d.layers]
        # function mode: a fresh optimizer, built by the student's first update on whatever it
        # is given; otherwise the GAN's own
        self.g_optimizer = (keras.optimizers.Adam(1e-3, beta_1=0.5) if mode == "function"
                            else self.gan.g_optimizer)


class _Seen:
    """What the update did: what it returned, which variables each optimizer was asked to
    update, and every assignment to ``discriminator.trainable``."""

    def __init__(self, returned, crashed, g_updated, d_updated, toggles, setup):
        self.returned, self.crashed, self.toggles = returned, crashed, toggles
        self.g_updated, self.d_updated = g_updated, d_updated
        self.wrong = g_updated & setup.d_vars


def _run_update(result: CheckResult, update, mode: str, setup: _UpdateSetup) -> _Seen:
    import keras

    from acgan_lib.instrument import recording_trainable, recording_updates

    noise = keras.ops.convert_to_tensor(setup.noise)
    labels = keras.ops.convert_to_tensor(setup.labels)
    crashed, returned = False, None
    with recording_updates(setup.g_optimizer) as g_updated, \
            recording_updates(setup.gan.d_optimizer) as d_updated, \
            recording_trainable(setup.d) as toggles:
        try:
            if mode == "function":
                returned = _call(result, "Your function", update, setup.g, setup.d,
                                 setup.g_optimizer, noise, labels)
            elif mode == "method":
                returned = _call(result, "Your generator_update", setup.gan.generator_update,
                                 noise, labels)
            else:
                images = setup.rng.uniform(-1, 1, (len(setup.labels), 28, 28, 1))
                returned = _call(result, "Your train_step", setup.gan.train_step,
                                 (keras.ops.convert_to_tensor(images.astype(np.float32)),
                                  labels))
        except _StudentError:
            crashed = True
    return _Seen(returned, crashed, set(g_updated), set(d_updated), list(toggles), setup)


def _judge_trainable(result: CheckResult, seen: _Seen, setup: _UpdateSetup) -> None:
    """The optimizer-list and ``trainable`` mistakes of chapter 5."""
    d = setup.d
    if seen.wrong:
        result.problem(f"The generator's optimizer was asked to update {len(seen.wrong)} of the "
                       "discriminator's variables too: this step would train both "
                       "networks, so the discriminator learns to be fooled.",
                       "apply the gradients to generator.trainable_variables only "
                       "(not generator + discriminator, not the combined model's).")
    frozen = not d.trainable or [layer.trainable for layer in d.layers] != setup.flags
    if frozen:
        result.problem("After your update the discriminator is still frozen "
                       "(trainable=False): on Keras 3 it now has no trainable weights, so "
                       "its next update silently trains nothing (chapter 5); a frozen "
                       "model's BatchNormalization also switches to inference mode.",
                       "do not toggle trainable at all: compute the gradient of the "
                       "generator's loss with respect to generator.trainable_variables "
                       "only, and apply it to those.")
        d.trainable = True
        for layer, flag in zip(d.layers, setup.flags):
            layer.trainable = flag
    elif seen.toggles:
        result.problem("Your update switches discriminator.trainable off and on. It "
                       "happens to work here, but it is the fragile pattern of chapter "
                       "5: what it freezes depends on the Keras version and on when "
                       "models are compiled.", "leave trainable alone and choose the "
                       "variables explicitly: tape.gradient(loss, "
                       "generator.trainable_variables).")
    elif not seen.crashed:
        result.ok("leaves `trainable` alone")


def _judge_variables(result: CheckResult, mode: str, seen: _Seen, setup: _UpdateSetup) -> bool:
    """Which network's weights moved; False when the generator did not move (stop there)."""
    d_moved = _moved(setup.d_before, setup.d_list)
    g_moved = _moved(setup.g_before, setup.g_list)
    if mode == "train_step":
        if seen.d_updated & setup.g_vars:
            result.problem("The discriminator's optimizer also updated generator weights.",
                           "apply d_optimizer to discriminator.trainable_variables only.")
        if d_moved == 0:
            result.problem("The discriminator did not learn in your train_step.",
                           "a train step updates both networks, each with its own "
                           "optimizer and its own variable list.")
    elif not seen.wrong and d_moved > 0:
        result.problem("The discriminator's weights changed during the generator update.",
                       "only generator.trainable_variables may change in this step.")
    if not seen.wrong and (mode == "train_step" or d_moved == 0):
        result.ok("the generator's optimizer leaves the discriminator's weights alone")
    if g_moved == 0 or not (seen.g_updated & setup.g_vars):
        result.problem("The generator's weights did not move.",
                       "run the generator inside the GradientTape, take "
                       "tape.gradient(loss, generator.trainable_variables) and apply it "
                       "with g_optimizer.apply_gradients(zip(grads, variables)).")
        return False
    result.ok("the generator's weights moved")
    return True


def _judge_loss(result: CheckResult, seen: _Seen, setup: _UpdateSetup) -> None:
    """What the step did to the game, and whether it returned the generator's loss."""
    # The discriminator should now be *more* fooled by the same noise and labels (its
    # adversarial loss for the generator lower).
    terms = setup.terms_before
    after = _generator_terms(setup.reference, setup.g, setup.noise, setup.labels)["adversarial"]
    before = terms["adversarial"]
    if after > before:
        result.problem(f"After your step the discriminator is *less* fooled: the "
                       f"generator's adversarial loss went up ({before:.4f} -> {after:.4f}).",
                       "the generator's target is 'real' (1): minimise BCE(D(G(z, c)), 1), "
                       "not BCE(..., 0) and not the negative of the discriminator's loss.")
    else:
        result.ok(f"the discriminator is more fooled after one step (adversarial loss "
                  f"{before:.4f} -> {after:.4f})")
    value = _numpy(seen.returned)
    if value.size != 1:
        result.note(f"your function returned something of shape {value.shape}; return "
                    "the loss (one number) so that the training loop can log it")
        return
    value = float(value.reshape(()))
    expected = terms["adversarial"] + terms["auxiliary"]

    def close(x):
        return _close(value, x, rtol=1e-3, atol=1e-4)

    if close(expected):
        result.ok("returns the generator's loss (adversarial + auxiliary)")
    elif close(terms["adversarial"]):
        result.problem("Your loss leaves out the auxiliary loss: the generator is not "
                       "asked to draw the requested digit.",
                       "add auxiliary_loss(class_logits, labels) of the generated images "
                       "to the adversarial loss.")
    elif close(terms["fake_target"] + terms["auxiliary"]) or close(terms["fake_target"]):
        if not any("less* fooled" in m for m in result.messages):
            result.problem("Your loss uses the target 'fake' (0) for the generated images: "
                           "that is the discriminator's goal, not the generator's.",
                           "the generator wants its images called real: "
                           "generator_adversarial_loss(real_logit), i.e. BCE(..., 1).")
    else:
        result.note(f"your loss on this batch is {value:.4f}; the reference generator loss "
                    f"(adversarial + auxiliary, both networks in training mode) is "
                    f"{expected:.4f}")


def _tiny_networks(latent_dim: int = 100):
    """A small generator and ACGAN discriminator with the course's inputs and outputs.

    Same interfaces as :mod:`acgan_lib.models` (``[noise, label] -> (n, 28, 28, 1)`` tanh;
    ``image -> [real_logit, class_logits]``, with BatchNormalization), a fraction of the size,
    so that one eager update is quick.
    """
    import keras
    from keras import layers

    noise = keras.Input((latent_dim,), name="noise")
    label = keras.Input((1,), dtype="int32", name="label")
    embedded = layers.Flatten()(layers.Embedding(10, latent_dim)(label))
    x = layers.Dense(7 * 7 * 8, activation="relu")(layers.Multiply()([noise, embedded]))
    x = layers.UpSampling2D(4)(layers.Reshape((7, 7, 8))(x))
    image = layers.Conv2D(1, 3, padding="same", activation="tanh")(x)
    generator = keras.Model([noise, label], image, name="generator")

    inp = keras.Input((28, 28, 1), name="image")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(8, 3, strides=2, padding="same")(inp))
    x = layers.BatchNormalization(momentum=0.8)(layers.Conv2D(16, 3, strides=2,
                                                              padding="same")(x))
    x = layers.GlobalAveragePooling2D()(layers.LeakyReLU(0.2)(x))
    discriminator = keras.Model(inp, [layers.Dense(1, name="real_logit")(x),
                                      layers.Dense(10, name="class_logits")(x)],
                                name="discriminator")
    return generator, discriminator


def _tiny_gan(result: CheckResult, cls):
    """A freshly built small ACGAN of class ``cls``, compiled without XLA."""
    import keras

    from acgan_lib.training import ConditionalGAN

    cls = cls or ConditionalGAN
    try:
        gan = cls(*_tiny_networks(), auxiliary=True)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
                    g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5), jit_compile=False)
    except Exception as exc:
        result.problem(f"Building your {cls.__name__} failed: {type(exc).__name__}: "
                       f"{_short(exc)}", "keep ConditionalGAN's constructor arguments "
                       "(generator, discriminator, auxiliary=...) and call super().__init__.")
        raise _StudentError from None
    return gan


def _generator_terms(reference, g, noise, labels) -> dict[str, float]:
    """The generator's loss terms on one batch (both networks in training mode)."""
    from acgan_lib import losses

    images = g([noise, labels], training=True)
    real_logit, class_logits = reference._discriminate(images, labels)
    return {"adversarial": float(_numpy(losses.generator_adversarial_loss(real_logit))),
            "fake_target": float(_numpy(losses.adversarial_loss(real_logit, False))),
            "auxiliary": float(_numpy(losses.auxiliary_loss(class_logits, labels)))}


# ------------------------------------------------------------------------------ chapter 6
def _accuracy_inputs(n: int = 40, correct: int = 26, seed: int = 0):
    """Logits whose argmax equals the label for exactly ``correct`` of ``n`` images."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.int32)
    predicted = labels.copy()
    wrong = rng.permutation(n)[: n - correct]
    predicted[wrong] = (labels[wrong] + rng.integers(1, 10, len(wrong))) % 10
    logits = rng.standard_normal((n, 10)).astype(np.float32)
    logits[np.arange(n), predicted] += 10.0
    return logits, labels


def check_label_accuracy(label_accuracy: Callable, verbose: bool = True) -> CheckResult:
    """Check ``label_accuracy(class_logits, labels)``: the fraction of images whose highest
    logit is the requested label. Reference: :func:`acgan_lib.losses.label_accuracy`."""
    import tensorflow as tf

    from acgan_lib.losses import label_accuracy as reference

    result = CheckResult("check_label_accuracy")
    fn = "Your function"
    n, correct = 40, 26
    logits, labels = _accuracy_inputs(n, correct)
    expected = float(_numpy(reference(logits, labels)))
    try:
        value = _scalar(result, _call(result, fn, label_accuracy, tf.constant(logits),
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
        value2 = _scalar(result, _call(result, fn, label_accuracy, tf.constant(logits),
                                       tf.constant(labels[:, None])), fn)
        if _close(value2, expected):
            result.ok("labels of shape (n, 1) work too")
        else:
            result.problem(f"With labels of shape (n, 1) your function gives {value2:.4g} "
                           f"instead of {expected:.4g}: comparing (n,) predictions with (n, 1) "
                           "labels broadcasts to an (n, n) table of every pair.",
                           "flatten the labels first: keras.ops.reshape(labels, (-1,)).")
        logits0, labels0 = _accuracy_inputs(20, 0, seed=1)
        value3 = _scalar(result, _call(result, fn, label_accuracy, tf.constant(logits0),
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


# ------------------------------------------------------------------------------ chapter 7
def check_distributed_loss(replica_loss: Callable, verbose: bool = True) -> CheckResult:
    """Check ``replica_loss(per_image_losses, global_batch_size)`` for ``tf.distribute``.

    Each replica sees ``global_batch_size / replicas`` images; their gradients are *summed*
    across replicas, so each replica must return ``sum(per_image_losses) / global_batch_size``
    (what ``tf.nn.compute_average_loss`` does), not the mean of its own images.
    """
    import tensorflow as tf

    result = CheckResult("check_distributed_loss")
    fn = "Your function"
    rng = np.random.default_rng(0)
    try:
        for local, global_batch in ((8, 32), (16, 32), (64, 64)):
            losses = rng.uniform(0.1, 2.0, local).astype(np.float32)
            expected = float(losses.sum() / global_batch)
            value = _scalar(result, _call(result, fn, replica_loss, tf.constant(losses),
                                          global_batch), fn)
            if _close(value, expected):
                continue
            replicas = global_batch // local
            if _close(value, losses.mean()):
                result.problem(f"Your function averages over the replica's own {local} images. "
                               f"With {replicas} replicas the gradients are summed across "
                               f"them, so this makes the step {replicas} times too large.",
                               "divide the sum by the *global* batch size: "
                               "tf.nn.compute_average_loss(losses, global_batch_size=...).")
            elif _close(value, losses.sum()):
                result.problem("Your function returns the sum of the losses, not divided by "
                               "anything: the step grows with the batch size.",
                               "divide by the global batch size.")
            else:
                result.problem(f"For {local} images per replica and a global batch of "
                               f"{global_batch} your function gives {value:.5g}; expected "
                               f"{expected:.5g} (sum / global batch size).",
                               "sum the per-image losses and divide by global_batch_size.")
            raise _StudentError
        result.ok("sum / global batch size, for 4, 2 and 1 replica(s)")
    except _StudentError:
        pass
    return _finish(result, verbose)


# ------------------------------------------------------------------------------ chapter 8
def check_seed_difference(seed_difference: Callable, verbose: bool = True) -> CheckResult:
    """Check ``seed_difference(a, b)``: the difference of the means of two arms' per-seed
    values and its standard error, ``sqrt(var(a) / len(a) + var(b) / len(b))`` with sample
    variances (``ddof=1``): how sure a comparison across training runs can be."""
    result = CheckResult("check_seed_difference")
    fn = "Your function"
    cases = [([0.66, 0.87, 0.73], [0.908, 0.927, 0.918]),  # acgan vs cgan-concat, roughly
             ([0.95, 0.97, 0.92, 0.96], [0.94, 0.95]), ([1.0, 3.0], [2.0, 2.0, 2.0])]
    try:
        for a, b in cases:
            a_, b_ = np.array(a), np.array(b)
            expected = (a_.mean() - b_.mean(),
                        float(np.sqrt(a_.var(ddof=1) / len(a) + b_.var(ddof=1) / len(b))))
            out = _call(result, fn, seed_difference, list(a), list(b))
            try:
                diff, error = (float(v) for v in out)
            except (TypeError, ValueError):
                result.problem(f"Your function returned {out!r}; expected two numbers, "
                               "(difference, standard error).", "return diff, error")
                raise _StudentError
            if not _close(diff, expected[0]):
                hint = ("mean(a) - mean(b), in that order" if _close(diff, -expected[0])
                        else "the difference of the two means")
                result.problem(f"For a={a} and b={b} the difference is {diff:.4g}; expected "
                               f"{expected[0]:.4g}.", hint + ".")
                raise _StudentError
            if _close(error, expected[1]):
                continue
            population = float(np.sqrt(a_.var() / len(a) + b_.var() / len(b)))
            added = a_.std(ddof=1) / np.sqrt(len(a)) + b_.std(ddof=1) / np.sqrt(len(b))
            if _close(error, population):
                result.problem("Your standard error uses the population variance (ddof=0): "
                               "with three seeds it is too small by a factor of about 0.8.",
                               "use the sample variance, np.var(x, ddof=1).")
            elif _close(error, expected[1] ** 2):
                result.problem("Your function returns the variance of the difference, not its "
                               "standard error.", "take the square root.")
            elif _close(error, added):
                result.problem("Your function adds the two standard errors; independent "
                               "errors add in quadrature.",
                               "sqrt(se_a ** 2 + se_b ** 2), with se = std / sqrt(n).")
            else:
                result.problem(f"For a={a} and b={b} the standard error is {error:.4g}; "
                               f"expected {expected[1]:.4g}.",
                               "sqrt(var(a) / len(a) + var(b) / len(b)), sample variances.")
            raise _StudentError
        result.ok("the difference of the means, mean(a) - mean(b)")
        result.ok("its standard error from the sample variances (ddof=1), for unequal "
                  "numbers of seeds too")
    except _StudentError:
        pass
    return _finish(result, verbose)


CHECKERS = {
    "check_scaling": check_scaling,
    "check_generator": check_generator,
    "check_conditioning_layer": check_conditioning_layer,
    "check_auxiliary_loss": check_auxiliary_loss,
    "check_generator_update": check_generator_update,
    "check_label_accuracy": check_label_accuracy,
    "check_distributed_loss": check_distributed_loss,
    "check_seed_difference": check_seed_difference,
}
