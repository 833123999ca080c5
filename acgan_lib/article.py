"""The seed article's training pattern, re-implemented so that it can be measured.

The article (a TF2 ACGAN blog post, see the course's references) trains with the pattern
*compile, freeze, compile*:

1. build the discriminator and ``compile`` it;
2. build the combined model ``generator -> discriminator``, setting
   ``discriminator.trainable = False`` on the way, and ``compile`` that (the article passes the
   **same** optimizer object to both ``compile`` calls);
3. every step: three eager forward passes that only feed accuracy metrics, then
   ``train_on_batch`` on the discriminator with real images, on the discriminator with generated
   images, and on the combined model; every few steps the metrics are reset with
   ``reset_states()``.

Its tip 5 says that compiling *before* freezing keeps the discriminator trainable on its own
while the combined model trains only the generator. Whether that holds depends on the Keras
version; chapter 5 of the course measures it with :func:`freezing_experiment`, on Keras 3 in this
process and on Keras 2 (the ``tf_keras`` package) in a subprocess started with
``TF_USE_LEGACY_KERAS=1``.

Everything here takes a *keras module* (``keras`` for Keras 3, ``tf_keras`` for Keras 2), so the
same code runs on both. :class:`ArticleBaseline` is also the "article loop" baseline of the speed
benchmark. This module is a faithful reproduction of a pattern the course teaches you **not** to
use; for training, use :class:`acgan_lib.training.ConditionalGAN`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from acgan_lib.validation import NUM_CLASSES

#: The article's noise size. (Not imported from ``acgan_lib.models``: this module must import
#: without Keras 3, in the Keras 2 subprocess.)
LATENT_DIM = 100
FLAVOURS = ("keras3", "keras2")
LEGACY_ENV = "TF_USE_LEGACY_KERAS"
#: The article's losses: its heads end in sigmoid and softmax, so the losses take probabilities.
ARTICLE_LOSSES = ["binary_crossentropy", "sparse_categorical_crossentropy"]
#: The article's optimizer settings: ``Adam(0.0002, 0.5)``.
LEARNING_RATE, BETA_1 = 2e-4, 0.5
#: Names of the three ``train_on_batch`` calls of one article step, in order.
CALLS = ("discriminator_real", "discriminator_fake", "combined")


# ---------------------------------------------------------------------------------- keras modules
def load_keras(flavour: str = "keras3") -> ModuleType:
    """The keras module of a flavour: ``"keras3"`` -> ``keras``, ``"keras2"`` -> ``tf_keras``.

    Keras 2 needs ``TF_USE_LEGACY_KERAS=1`` in the environment *before* TensorFlow is imported
    (then ``tf.keras`` is ``tf_keras`` too); :func:`freezing_experiment` starts such a subprocess.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown keras flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    if flavour == "keras3":
        import keras

        return keras
    if os.environ.get(LEGACY_ENV) != "1":
        raise RuntimeError(
            f"Keras 2 needs {LEGACY_ENV}=1 set before TensorFlow is imported. Run "
            f"freezing_experiment('keras2'), which starts a subprocess for it, or "
            f"`{LEGACY_ENV}=1 python -m acgan_lib.article --flavour keras2 --json`.")
    try:
        import tf_keras
    except ImportError as exc:
        raise RuntimeError("Keras 2 is the package tf-keras: pip install tf-keras") from exc
    return tf_keras


def flavour_of(keras_module: ModuleType) -> str:
    """``"keras3"`` or ``"keras2"``, from the module's version."""
    return "keras3" if keras_module.__version__.split(".")[0] == "3" else "keras2"


# ---------------------------------------------------------------------------------- the models
def build_article_generator(keras: ModuleType, latent_dim: int = LATENT_DIM) -> Any:
    """The article's generator: ``[noise (n, 100), label (n, 1)] -> (n, 28, 28, 1)`` in tanh range.

    Embedding(10, 100) of the label times the noise, Dense 1568 (ReLU) -> 7x7x32, three 3x3
    convolutions (64, 128, 64) with BatchNormalization(momentum=0.8) and ReLU, two x2
    upsamplings, a 3x3 convolution to one ``tanh`` channel. 327,113 parameters.
    """
    layers = keras.layers
    noise = layers.Input((latent_dim,), name="input_noise")
    label = layers.Input((1,), name="input_label")
    embedded = layers.Embedding(NUM_CLASSES, latent_dim, name="embedding")(label)
    x = layers.Multiply(name="multiply")([layers.Flatten(name="flatten")(embedded), noise])
    x = layers.Dense(7 * 7 * 32, activation="relu", name="dense_relu")(x)
    x = layers.Reshape((7, 7, 32), name="reshape")(x)
    for i, (filters, upsample) in enumerate([(64, True), (128, True), (64, False)], start=1):
        x = layers.Conv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if upsample:
            x = layers.UpSampling2D(2, name=f"upsampling{i}")(x)
    image = layers.Conv2D(1, 3, padding="same", activation="tanh", name="conv_tanh")(x)
    return keras.Model([noise, label], image, name="article_generator")


def build_article_discriminator(keras: ModuleType) -> Any:
    """The article's discriminator: image -> ``[P(real) (n, 1) sigmoid, P(class) (n, 10) softmax]``.

    Three stride-2 3x3 convolutions (32, 64, 128) with BatchNormalization(momentum=0.8) and
    LeakyReLU(0.2), global average pooling, two dense heads. 94,987 parameters.
    """
    layers = keras.layers
    image = layers.Input((28, 28, 1), name="input_image")
    x = image
    for i, filters in enumerate((32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"d_conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.8, name=f"d_bn{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"d_leaky{i}")(x)
    x = layers.GlobalAveragePooling2D(name="global_averagepool")(x)
    validity = layers.Dense(1, activation="sigmoid", name="dense_sigmoid")(x)
    classes = layers.Dense(NUM_CLASSES, activation="softmax", name="dense_softmax")(x)
    return keras.Model(image, [validity, classes], name="article_discriminator")


def build_article_combined(keras: ModuleType, generator: Any, discriminator: Any,
                           latent_dim: int = LATENT_DIM) -> Any:
    """The combined model ``[noise, label] -> discriminator(generator(...))``.

    As in the article, this is where ``discriminator.trainable`` is set to ``False`` -- after
    the discriminator was compiled, before the combined model is.
    """
    noise = keras.layers.Input((latent_dim,), name="input_noise")
    label = keras.layers.Input((1,), name="input_label")
    image = generator([noise, label])
    discriminator.trainable = False  # the article's freeze (its tip 5)
    validity, classes = discriminator(image)
    return keras.Model([noise, label], [validity, classes], name="article_combined")


def make_article_metrics(keras: ModuleType) -> tuple:
    """The article's three metrics: D's accuracy on real, on generated, and G's "fooling" rate."""
    return tuple(keras.metrics.BinaryAccuracy(name=name)
                 for name in ("real_d_accuracy", "fake_d_accuracy", "g_accuracy"))


def reset_article_metrics(metrics: Sequence[Any]) -> None:
    """Reset the metrics the way the article does: ``reset_states()``.

    Keras 3 renamed it ``reset_state()`` and removed the old name, so on Keras 3 this raises
    ``AttributeError``.
    """
    for metric in metrics:
        metric.reset_states()


def _floats(value) -> list[float]:
    return [float(v) for v in np.atleast_1d(np.asarray(value, dtype=np.float64)).ravel()]


Observer = Callable[[str, str], None]


def article_train_step(generator: Any, discriminator: Any, combined: Any, metrics: Sequence[Any],
                       real_images, real_labels, rng: np.random.Generator,
                       latent_dim: int = LATENT_DIM,
                       observe: Observer | None = None) -> dict[str, list[float]]:
    """One step of the article's loop; returns the losses of its three ``train_on_batch`` calls.

    The work is the article's: draw noise and fake labels with numpy, generate eagerly, three
    eager forward passes that only update the accuracy metrics, then ``train_on_batch`` on the
    discriminator (real images, targets 1 and the true labels), on the discriminator (generated
    images, targets 0 and the fake labels), and on the combined model (targets 1 and the fake
    labels). ``observe(call, "before"|"after")``, if given, runs around each ``train_on_batch``.
    """
    n = int(real_images.shape[0])
    noise = rng.normal(0.0, 1.0, (n, latent_dim)).astype(np.float32)
    fake_labels = rng.integers(0, NUM_CLASSES, (n, 1))
    real_labels = np.asarray(real_labels).reshape(n, 1)
    ones, zeros = np.ones((n, 1)), np.zeros((n, 1))

    fake_images = generator([noise, fake_labels])
    real_accuracy, fake_accuracy, g_accuracy = metrics
    real_accuracy(ones, discriminator(real_images)[0])
    fake_accuracy(zeros, discriminator(fake_images)[0])
    g_accuracy(ones, combined([noise, fake_labels])[0])

    batches = {
        "discriminator_real": (discriminator, real_images, [ones, real_labels]),
        "discriminator_fake": (discriminator, fake_images, [zeros, fake_labels]),
        "combined": (combined, [noise, fake_labels], [ones, fake_labels]),
    }
    losses = {}
    for call in CALLS:
        model, x, y = batches[call]
        if observe:
            observe(call, "before")
        losses[call] = _floats(model.train_on_batch(x, y))
        if observe:
            observe(call, "after")
    return losses


class ArticleBaseline:
    """The article's models, optimizer(s), metrics and step, built the article's way.

    Args:
        keras_module: ``keras`` (Keras 3, the default) or ``tf_keras`` (Keras 2).
        batch_size: the batch size :meth:`step` expects (recorded; the article uses 256).
        shared_optimizer: pass one ``Adam`` object to both ``compile`` calls, as the article
            does; ``False`` gives the combined model its own optimizer.
        legacy_optimizer: Keras 2 only: ``keras.optimizers.legacy.Adam``, the optimizer class
            ``Adam`` was before TensorFlow 2.11 (when the article was written).
        seed: seeds Keras' initialisers and the numpy noise of :meth:`step`.

    Attributes ``generator``, ``discriminator``, ``combined``, ``metrics``, ``d_optimizer``,
    ``g_optimizer`` (the same object when shared), and the weight lists recorded before the
    freeze: ``d_parameters``/``g_parameters`` (trainable weights) and
    ``d_statistics``/``g_statistics`` (BatchNormalization moving means and variances).
    """

    def __init__(self, keras_module: ModuleType | None = None, batch_size: int = 256,
                 shared_optimizer: bool = True, seed: int = 0, latent_dim: int = LATENT_DIM,
                 legacy_optimizer: bool = False):
        keras = keras_module if keras_module is not None else load_keras("keras3")
        self.keras = keras
        self.flavour = flavour_of(keras)
        if legacy_optimizer and self.flavour != "keras2":
            raise ValueError("legacy_optimizer=True needs Keras 2 (tf_keras): Keras 3 has no "
                             "legacy optimizers; use legacy_optimizer=False")
        adam = keras.optimizers.legacy.Adam if legacy_optimizer else keras.optimizers.Adam
        self.batch_size = int(batch_size)
        self.latent_dim = latent_dim
        self.shared_optimizer = shared_optimizer
        self.rng = np.random.default_rng(seed)
        keras.utils.set_random_seed(seed)
        self.trainable_counts: dict[str, int] = {}

        # 1. the discriminator, compiled while trainable
        self.discriminator = build_article_discriminator(keras)
        self.d_parameters = list(self.discriminator.trainable_weights)
        self.d_statistics = list(self.discriminator.non_trainable_weights)
        self.d_optimizer = adam(LEARNING_RATE, BETA_1)
        self.discriminator.compile(optimizer=self.d_optimizer, loss=ARTICLE_LOSSES)
        self.trainable_counts["discriminator_at_compile"] = len(self.discriminator.trainable_weights)

        # 2. the generator and the combined model (which freezes the discriminator), compiled
        self.generator = build_article_generator(keras, latent_dim)
        self.g_parameters = list(self.generator.trainable_weights)
        self.g_statistics = list(self.generator.non_trainable_weights)
        self.combined = build_article_combined(keras, self.generator, self.discriminator,
                                               latent_dim)
        self.g_optimizer = (self.d_optimizer if shared_optimizer
                            else adam(LEARNING_RATE, BETA_1))
        self.combined.compile(optimizer=self.g_optimizer, loss=ARTICLE_LOSSES)
        self.trainable_counts.update(self.report_trainable_counts())
        self.metrics = make_article_metrics(keras)

    def report_trainable_counts(self) -> dict[str, int]:
        """How many trainable weights each model reports now."""
        return {"discriminator": len(self.discriminator.trainable_weights),
                "generator": len(self.generator.trainable_weights),
                "combined": len(self.combined.trainable_weights)}

    def step(self, real_images, real_labels, observe: Observer | None = None
             ) -> dict[str, list[float]]:
        """One article step on a batch (numpy images in [-1, 1] ``(n, 28, 28, 1)``, labels)."""
        return article_train_step(self.generator, self.discriminator, self.combined,
                                  self.metrics, real_images, real_labels, self.rng,
                                  self.latent_dim, observe)

    def metric_results(self) -> dict[str, float]:
        return {m.name: float(m.result()) for m in self.metrics}

    def reset_metrics(self, faithful: bool = True) -> None:
        """``faithful``: the article's ``reset_states()`` (fails on Keras 3); else ``reset_state()``."""
        if faithful:
            reset_article_metrics(self.metrics)
        else:
            for metric in self.metrics:
                metric.reset_state()


# ---------------------------------------------------------------------------------- measuring
def snapshot(variables: Sequence[Any]) -> list[np.ndarray]:
    """Copies of the variables' current values."""
    return [np.array(v.numpy(), dtype=np.float32, copy=True) for v in variables]


def checksum(values: Sequence[np.ndarray]) -> dict[str, Any]:
    """``sum_abs`` (sum of absolute values) and ``sha256`` (first 16 hex digits) of arrays."""
    digest = hashlib.sha256()
    for a in values:
        digest.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
    return {"sum_abs": float(sum(np.abs(a).sum(dtype=np.float64) for a in values)),
            "sha256": digest.hexdigest()[:16]}


def moved(before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> float:
    """Euclidean distance between two snapshots of the same variables (0.0: unchanged)."""
    return float(np.sqrt(sum(np.sum((a.astype(np.float64) - b) ** 2)
                             for a, b in zip(after, before))))


class _Capture:
    """Records warnings, warning-level log records and printed text, each tagged with a phase."""

    def __init__(self):
        self.warnings: list[dict] = []
        self.exceptions: list[dict] = []
        self.printed: list[dict] = []

    @contextlib.contextmanager
    def phase(self, where: str, catch: bool = True) -> Iterator[None]:
        records: list[logging.LogRecord] = []

        class Handler(logging.Handler):
            def emit(self, record):
                records.append(record)

        handler = Handler(logging.WARNING)
        loggers = [logging.getLogger(name) for name in ("", "tensorflow", "absl", "keras")]
        for logger in loggers:
            logger.addHandler(handler)
        out = io.StringIO()
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
                warnings.simplefilter("always")
                try:
                    yield
                except Exception as exc:  # recorded: the experiment is about what fails
                    if not catch:
                        raise
                    self.exceptions.append({"where": where, "type": type(exc).__name__,
                                            "message": _exception_message(exc)})
        finally:
            for logger in loggers:
                logger.removeHandler(handler)
        seen = set()
        for w in caught:
            item = (w.category.__name__, _short(str(w.message)))
            if item not in seen and w.category is not DeprecationWarning:
                seen.add(item)
                self.warnings.append({"where": where, "category": item[0], "message": item[1]})
        for r in records:
            self.warnings.append({"where": where, "category": f"log.{r.levelname}",
                                  "message": _short(r.getMessage())})
        text = out.getvalue().strip()
        if text:
            self.printed.append({"where": where, "text": _short(text, 2000)})


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " ..."


def _exception_message(exc: BaseException) -> str:
    """The message of an exception; for errors raised inside a traced function (whose message
    starts with the traceback "in user code: ..."), only its last line: the actual error."""
    text = str(exc).strip()
    if "in user code:" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        text = lines[-1] if lines else text
    return _short(text)


def _dedupe(items: list[dict]) -> list[dict]:
    """Identical messages once, with the phases they came from and a count."""
    out: dict[tuple, dict] = {}
    for item in items:
        key = tuple((k, v) for k, v in item.items() if k != "where")
        entry = out.setdefault(key, {**dict(key), "where": [], "count": 0})
        entry["count"] += 1
        if item["where"] not in entry["where"]:
            entry["where"].append(item["where"])
    return list(out.values())


def _article_setup_calls(baseline: ArticleBaseline, capture: _Capture, directory: str) -> None:
    """The article's extra set-up calls: ``build``, ``summary`` and ``plot_model`` per model."""
    keras = baseline.keras
    for name, model, shape in (("generator", baseline.generator, [(1,), (100,)]),
                               ("discriminator", baseline.discriminator, (28, 28, 1)),
                               ("combined", baseline.combined, [(1,), (100,)])):
        with capture.phase(f"{name}.build"):
            model.build(input_shape=shape)
        with capture.phase(f"{name}.summary"):
            model.summary(print_fn=lambda *args, **kwargs: None)  # run it, print nothing
        with capture.phase(f"plot_model({name})"):
            keras.utils.plot_model(model, os.path.join(directory, f"{name}.png"),
                                   show_shapes=True, show_layer_names=True)


def run_article_pattern(keras: ModuleType, images: np.ndarray, labels: np.ndarray, steps: int,
                        batch_size: int, shared_optimizer: bool, seed: int = 0,
                        legacy_optimizer: bool = False) -> dict:
    """Run the article's pattern in this process and record what each call does to the weights.

    A ``train_on_batch`` call that raises is recorded with its error and with how far the
    weights moved anyway; the next step goes on, so every step is observed.
    """
    capture = _Capture()
    result: dict[str, Any] = {"shared_optimizer": shared_optimizer,
                              "legacy_optimizer": legacy_optimizer, "calls": [], "losses": []}
    with capture.phase("build and compile", catch=False):
        baseline = ArticleBaseline(keras, batch_size, shared_optimizer=shared_optimizer,
                                   seed=seed, legacy_optimizer=legacy_optimizer)
    result["trainable_counts"] = dict(baseline.trainable_counts)
    result["parameter_counts"] = {"discriminator": int(baseline.discriminator.count_params()),
                                  "generator": int(baseline.generator.count_params())}
    # The attribute the article's tip tells readers to inspect (a Keras 2.2-era private field).
    result["has_collected_trainable_weights"] = {
        "discriminator": hasattr(baseline.discriminator, "_collected_trainable_weights"),
        "combined": hasattr(baseline.combined, "_collected_trainable_weights")}
    with tempfile.TemporaryDirectory() as tmp:
        _article_setup_calls(baseline, capture, tmp)

    groups = {"d_parameters": baseline.d_parameters, "d_statistics": baseline.d_statistics,
              "g_parameters": baseline.g_parameters, "g_statistics": baseline.g_statistics}
    state: dict[str, Any] = {}

    def observe(call: str, when: str) -> None:
        now = {k: snapshot(v) for k, v in groups.items()}
        if when == "before":
            state.update(before=now, call=call)
            return
        record = {"step": state["step"], "call": call}
        for k in groups:
            record[f"{k}_moved"] = moved(state["before"][k], now[k])
        for k in ("d_parameters", "g_parameters"):
            b, a = checksum(state["before"][k]), checksum(now[k])
            record[f"{k}_sum_abs_before"], record[f"{k}_sum_abs_after"] = (b["sum_abs"],
                                                                           a["sum_abs"])
            record[f"{k}_sha_before"], record[f"{k}_sha_after"] = b["sha256"], a["sha256"]
        state["record"] = record

    n = len(images)
    for step in range(steps):
        start = (step * batch_size) % max(n - batch_size + 1, 1)
        x, y = images[start:start + batch_size], labels[start:start + batch_size]
        state.update(step=step, record=None, call=None)
        losses = None
        with capture.phase(f"step {step}"):
            losses = baseline.step(x, y, observe=_recording(observe, state, result))
        if state.get("call") and state.get("record") is None:  # a train_on_batch call raised
            observe(state["call"], "after")
            record = dict(state["record"], error=capture.exceptions[-1]["type"])
            result["calls"].append(record)
        result["losses"].append(losses)
    result["metric_results"] = baseline.metric_results()
    with capture.phase("reset_states (the article's metric reset)"):
        baseline.reset_metrics(faithful=True)
    result["trainable_counts_after"] = baseline.report_trainable_counts()
    result["optimizers"] = _optimizer_report(baseline)
    result["summary"] = _summarise(result["calls"])
    result["warnings"] = _dedupe(capture.warnings)
    result["exceptions"] = _dedupe(capture.exceptions)
    result["printed"] = _dedupe(capture.printed)
    return result


def _recording(observe: Observer, state: dict, result: dict) -> Observer:
    def wrapped(call: str, when: str) -> None:
        observe(call, when)
        if when == "after":
            result["calls"].append(state["record"])
            state["record"], state["call"] = None, None
    return wrapped


def _optimizer_report(baseline: ArticleBaseline) -> dict:
    def info(opt) -> dict:
        iterations = getattr(opt, "iterations", None)
        return {"iterations": int(np.asarray(iterations)) if iterations is not None else None,
                "variables": len(opt.variables) if hasattr(opt, "variables") and
                not callable(opt.variables) else len(opt.variables())}
    return {"same_object": baseline.d_optimizer is baseline.g_optimizer,
            "d_optimizer": info(baseline.d_optimizer), "g_optimizer": info(baseline.g_optimizer)}


def _summarise(calls: list[dict]) -> dict:
    """Per call kind: how many calls ran/raised and how far each weight group moved in total."""
    summary = {}
    for call in CALLS:
        rows = [c for c in calls if c["call"] == call]
        entry = {"calls": len(rows), "raised": sum("error" in c for c in rows)}
        for k in ("d_parameters", "d_statistics", "g_parameters", "g_statistics"):
            entry[f"{k}_moved"] = float(sum(c[f"{k}_moved"] for c in rows))
        summary[call] = entry
    return summary


# ---------------------------------------------------------------------------------- robust pattern
def explicit_step_experiment(keras: ModuleType, images: np.ndarray, labels: np.ndarray,
                             steps: int, batch_size: int, seed: int = 0) -> dict:
    """The robust pattern on the article's models: one optimizer per network, explicit lists.

    Nothing is frozen or compiled; each update applies gradients to one network's
    ``trainable_weights``. Records how far each network's parameters moved at each update.
    Written with ``tf.GradientTape`` and plain model calls, so it runs on Keras 2 and Keras 3.
    """
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    generator = build_article_generator(keras)
    discriminator = build_article_discriminator(keras)
    d_optimizer = keras.optimizers.Adam(LEARNING_RATE, BETA_1)
    g_optimizer = keras.optimizers.Adam(LEARNING_RATE, BETA_1)
    bce = keras.losses.BinaryCrossentropy()
    scce = keras.losses.SparseCategoricalCrossentropy()
    d_vars, g_vars = discriminator.trainable_weights, generator.trainable_weights
    d_stats = discriminator.non_trainable_weights  # BatchNormalization moving statistics
    rows = []
    capture = _Capture()
    for step in range(steps):
        start = (step * batch_size) % max(len(images) - batch_size + 1, 1)
        real = tf.constant(images[start:start + batch_size])
        real_labels = tf.constant(np.asarray(labels[start:start + batch_size]).reshape(-1, 1))
        n = int(real.shape[0])
        noise = tf.constant(rng.normal(0.0, 1.0, (n, LATENT_DIM)).astype(np.float32))
        fake_labels = tf.constant(rng.integers(0, NUM_CLASSES, (n, 1)))
        ones, zeros = tf.ones((n, 1)), tf.zeros((n, 1))
        with capture.phase(f"step {step}"):
            fake = generator([noise, fake_labels], training=True)
            with tf.GradientTape() as tape:  # discriminator update: only discriminator weights
                real_validity, real_classes = discriminator(real, training=True)
                fake_validity, fake_classes = discriminator(fake, training=True)
                d_loss = (bce(ones, real_validity) + bce(zeros, fake_validity)
                          + scce(real_labels, real_classes) + scce(fake_labels, fake_classes))
            grads = tape.gradient(d_loss, d_vars)
            d0, g0 = snapshot(d_vars), snapshot(g_vars)
            d_optimizer.apply_gradients(zip(grads, d_vars))
            d1, g1, s1 = snapshot(d_vars), snapshot(g_vars), snapshot(d_stats)
            with tf.GradientTape() as tape:  # generator update: only generator weights
                validity, classes = discriminator(generator([noise, fake_labels], training=True),
                                                  training=True)
                g_loss = bce(ones, validity) + scce(fake_labels, classes)
            grads = tape.gradient(g_loss, g_vars)
            g_optimizer.apply_gradients(zip(grads, g_vars))
            d2, g2, s2 = snapshot(d_vars), snapshot(g_vars), snapshot(d_stats)
            rows.append({"step": step, "d_loss": float(d_loss), "g_loss": float(g_loss),
                         "d_update": {"d_parameters_moved": moved(d0, d1),
                                      "g_parameters_moved": moved(g0, g1)},
                         "g_update": {"d_parameters_moved": moved(d1, d2),
                                      "g_parameters_moved": moved(g1, g2)},
                         # the generator's loss runs the discriminator in training mode:
                         "d_statistics_moved_during_g_update": moved(s1, s2)})
    summary = _sum_updates(rows)
    summary["d_statistics_moved_during_g_update"] = float(
        sum(r["d_statistics_moved_during_g_update"] for r in rows))
    return {"steps": rows, "summary": summary,
            "warnings": _dedupe(capture.warnings), "exceptions": _dedupe(capture.exceptions)}


def _sum_updates(rows: list[dict]) -> dict:
    return {update: {k: float(sum(r[update][k] for r in rows))
                     for k in ("d_parameters_moved", "g_parameters_moved")}
            for update in ("d_update", "g_update")}


def library_step_experiment(images: np.ndarray, labels: np.ndarray, steps: int = 2,
                            batch_size: int = 32, seed: int = 0, model: str = "acgan") -> dict:
    """Keras 3 only: what ``ConditionalGAN.train_step`` moves at its D update and its G update.

    Runs the library's ``train_step`` eagerly, with each optimizer's ``apply_gradients``
    wrapped to snapshot both networks' trainable weights just before and just after it.
    """
    import tensorflow as tf

    from acgan_lib.instrument import measuring_updates
    from acgan_lib.training import build_gan

    gan = build_gan(model, seed=seed, jit_compile=False)
    d_vars = list(gan.discriminator.trainable_variables)
    g_vars = list(gan.generator.trainable_variables)
    rows: list[dict] = []

    def record(update: str, moved_by: dict) -> None:
        rows[-1][update] = moved_by

    optimizers = {"d_update": gan.d_optimizer, "g_update": gan.g_optimizer}
    with measuring_updates(optimizers, {"d": d_vars, "g": g_vars}, record):
        for step in range(steps):
            start = (step * batch_size) % max(len(images) - batch_size + 1, 1)
            rows.append({"step": step})
            logs = gan.train_step((tf.constant(images[start:start + batch_size]),
                                   tf.constant(np.asarray(labels[start:start + batch_size],
                                                          np.int32))))
            rows[-1]["d_loss"], rows[-1]["g_loss"] = float(logs["d_loss"]), float(logs["g_loss"])
    return {"steps": rows, "summary": _sum_updates(rows),
            "d_optimizer_variables_built_for": len(d_vars),
            "g_optimizer_variables_built_for": len(g_vars)}


# ---------------------------------------------------------------------------------- reporting
def markdown_table(rows: Sequence[dict], columns: dict[str, str] | None = None) -> str:
    """A Markdown table of ``rows`` (dicts); ``columns`` maps keys to headers (default: all)."""
    if not rows:
        return "(no rows)"
    columns = columns or {k: k for k in rows[0]}

    def cell(value) -> str:
        if isinstance(value, float):
            text = "0" if value == 0 else f"{value:.6g}"
        else:
            text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns.values()) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(k)) for k in columns) + " |" for row in rows]
    return "\n".join(lines)


def calls_table(result: dict, variant: str = "shared_optimizer") -> str:
    """One row per ``train_on_batch`` call of a :func:`freezing_experiment` result: checksums
    (sum of absolute values and SHA-256 fingerprint) of each network's parameters before and
    after, how far they moved, and the error if the call raised."""
    rows = []
    for c in result["article"][variant]["calls"]:
        rows.append({
            "step": c["step"], "call": f"`{c['call']}`",
            "d_sum": f"{c['d_parameters_sum_abs_before']:.4f} → {c['d_parameters_sum_abs_after']:.4f}",
            "d_sha": f"`{c['d_parameters_sha_before'][:8]}` → `{c['d_parameters_sha_after'][:8]}`",
            "d_moved": c["d_parameters_moved"],
            "g_sum": f"{c['g_parameters_sum_abs_before']:.4f} → {c['g_parameters_sum_abs_after']:.4f}",
            "g_moved": c["g_parameters_moved"],
            "error": c.get("error", ""),
        })
    return markdown_table(rows, {"step": "step", "call": "call", "d_sum": "D: sum of abs",
                                 "d_sha": "D: fingerprint", "d_moved": "D moved",
                                 "g_sum": "G: sum of abs", "g_moved": "G moved",
                                 "error": "raised"})


def problems_table(results: Sequence[dict], variant: str = "shared_optimizer") -> str:
    """Every exception and warning of the article's program, per flavour."""
    rows = []
    for result in results:
        run = result["article"][variant]
        for kind, items in (("exception", run["exceptions"]), ("warning", run["warnings"])):
            for item in items:
                rows.append({"flavour": result["flavour"], "kind": kind,
                             "type": item.get("type", item.get("category")),
                             "where": ", ".join(item["where"]),
                             "message": item["message"].replace("`", "'")})
    return markdown_table(rows, {"flavour": "Keras", "kind": "kind", "type": "type",
                                 "where": "where", "message": "message"})


# ---------------------------------------------------------------------------------- the experiment
def _versions(keras: ModuleType) -> dict:
    import tensorflow as tf

    return {"keras": keras.__version__, "tensorflow": tf.__version__,
            "keras_module": keras.__name__, "python": sys.version.split()[0]}


def _run_here(flavour: str, images: np.ndarray, labels: np.ndarray, steps: int,
              batch_size: int, seed: int) -> dict:
    keras = load_keras(flavour)
    article = {
        "shared_optimizer": run_article_pattern(keras, images, labels, steps, batch_size,
                                                shared_optimizer=True, seed=seed),
        "separate_optimizers": run_article_pattern(keras, images, labels, steps, batch_size,
                                                   shared_optimizer=False, seed=seed),
    }
    if flavour == "keras2":  # the optimizer Adam was when the article was written (TF < 2.11)
        article["shared_legacy_optimizer"] = run_article_pattern(
            keras, images, labels, steps, batch_size, shared_optimizer=True, seed=seed,
            legacy_optimizer=True)
    return {
        "flavour": flavour,
        "versions": _versions(keras),
        "steps": steps,
        "batch_size": batch_size,
        "article": article,
        "explicit": explicit_step_experiment(keras, images, labels, steps, batch_size, seed),
    }


def default_batch(n: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """``n`` real MNIST training images in [-1, 1] ``(n, 28, 28, 1)`` and their labels."""
    from acgan_lib.data import load_mnist, scale_images

    data = load_mnist(verbose=False)
    return scale_images(data.x_train[:n]), data.y_train[:n].astype(np.int64)


def freezing_experiment(flavour: str = "keras3", steps: int = 3, batch_size: int = 32,
                        seed: int = 0, images: np.ndarray | None = None,
                        labels: np.ndarray | None = None, timeout: float = 900) -> dict:
    """Run the article's compile-then-freeze pattern (and the explicit-list step) on a flavour.

    Returns a JSON-ready dict: versions; for the article pattern with a shared optimizer, with
    separate optimizers and (Keras 2 only) with a shared legacy optimizer, the trainable-weight
    counts each model reports, a record per
    ``train_on_batch`` call (weight checksums and hashes before/after, how far each network's
    parameters and BatchNormalization statistics moved), every warning, printed message and
    exception; and the explicit-variable-list step's per-update movements.

    ``"keras2"`` runs in a subprocess with ``TF_USE_LEGACY_KERAS=1`` (unless this process already
    has it) and reads its JSON back; both flavours then see the same images.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown keras flavour {flavour!r}; choose one of {', '.join(FLAVOURS)}")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    if images is None:
        images, labels = default_batch(max(batch_size * steps, batch_size))
    elif labels is None:
        raise ValueError("give labels together with images")
    images = np.asarray(images, np.float32)
    if images.ndim == 3:
        images = images[..., None]
    labels = np.asarray(labels).reshape(-1)
    if len(images) != len(labels) or len(images) < batch_size:
        raise ValueError(f"need at least batch_size={batch_size} images with one label each, "
                         f"got {len(images)} images and {len(labels)} labels")
    if flavour == "keras3" or os.environ.get(LEGACY_ENV) == "1":
        return _run_here(flavour, images, labels, steps, batch_size, seed)
    return _run_subprocess(flavour, images, labels, steps, batch_size, seed, timeout)


def _run_subprocess(flavour: str, images: np.ndarray, labels: np.ndarray, steps: int,
                    batch_size: int, seed: int, timeout: float) -> dict:
    env = dict(os.environ, **{LEGACY_ENV: "1"})
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as tmp:
        batch, out = os.path.join(tmp, "batch.npz"), os.path.join(tmp, "result.json")
        np.savez(batch, images=images, labels=labels)
        command = [sys.executable, "-m", "acgan_lib.article", "--flavour", flavour,
                   "--steps", str(steps), "--batch-size", str(batch_size), "--seed", str(seed),
                   "--data", batch, "--out", out]
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"the {flavour} subprocess failed (exit {proc.returncode}):\n"
                               f"{proc.stderr[-3000:]}")
        with open(out) as f:
            return json.load(f)


def main(argv: list[str] | None = None) -> int:
    """``python -m acgan_lib.article --flavour keras2 --json``: run the experiment, print JSON."""
    parser = argparse.ArgumentParser(prog="python -m acgan_lib.article",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--flavour", choices=FLAVOURS, default="keras3")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", help=".npz with arrays images and labels (default: MNIST)")
    parser.add_argument("--out", help="write the JSON result to this file")
    parser.add_argument("--json", action="store_true", help="print the JSON result")
    args = parser.parse_args(argv)
    images = labels = None
    if args.data:
        with np.load(args.data) as npz:
            images, labels = npz["images"], npz["labels"]
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries only the JSON
        result = freezing_experiment(args.flavour, args.steps, args.batch_size, args.seed,
                                     images, labels)
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text)
    if args.json or not args.out:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
