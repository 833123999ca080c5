"""The measurements of chapter 5: the article's pattern, the explicit-list step and the
orders of compile, freeze and train, on one Keras flavour in this process."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import tensorflow as tf

from acgan_lib.article import (ARTICLE_LOSSES, BETA_1, CALLS, LATENT_DIM, LEARNING_RATE,
                               ArticleBaseline, Observer, build_article_discriminator,
                               build_article_generator, load_keras)
from acgan_lib.data import load_mnist, scale_images
from acgan_lib.freezing.retrace import retrace_experiment
from acgan_lib.instrument import checksum, measuring_updates, moved, snapshot
from acgan_lib.validation import NUM_CLASSES, shorten


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
            item = (w.category.__name__, shorten(str(w.message)))
            if item not in seen and w.category is not DeprecationWarning:
                seen.add(item)
                self.warnings.append({"where": where, "category": item[0], "message": item[1]})
        for r in records:
            self.warnings.append({"where": where, "category": f"log.{r.levelname}",
                                  "message": shorten(r.getMessage())})
        text = out.getvalue().strip()
        if text:
            self.printed.append({"where": where, "text": shorten(text, 2000)})


def _exception_message(exc: BaseException) -> str:
    """The message of an exception; for errors raised inside a traced function (whose message
    starts with the traceback "in user code: ..."), only its last line: the actual error."""
    text = str(exc).strip()
    if "in user code:" in text:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        text = lines[-1] if lines else text
    return shorten(text)


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
    # Imported here: the Keras 2 subprocess imports this module and must not import Keras 3.
    from acgan_lib.catalogue import build_gan  # noqa: PLC0415

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


# ---------------------------------------------------------------------------------- the experiment
#: The orders of compile, freeze and train that decide when Keras reads ``trainable``.
ORDERS = (("compile", "freeze", "train"),
          ("compile", "train", "freeze", "train"),
          ("compile", "freeze", "train", "unfreeze", "train"),
          ("compile", "train", "freeze", "compile", "train"),
          ("compile", "train", "freeze", "fit"))
#: ``train_half``: ``train_on_batch`` on half the batch, a new batch shape (a retrace).
ACTIONS = ("compile", "freeze", "unfreeze", "train", "train_half", "fit")


def trainable_orders(keras: ModuleType, images: np.ndarray, labels: np.ndarray,
                     orders=ORDERS, seed: int = 0) -> list[dict]:
    """For each order of actions, on a fresh article discriminator: did the *last* training
    call (``"train"``: ``train_on_batch``; ``"fit"``: one ``fit`` pass) move its parameters?

    This is how to find out when a Keras version reads ``trainable``: at every call, at
    ``compile``, or when it builds its training function.
    """
    for order in orders:
        unknown = [a for a in order if a not in ACTIONS]
        if unknown or not any(a in ("train", "train_half", "fit") for a in order):
            raise ValueError(f"an order is a sequence of {', '.join(ACTIONS)} with at least "
                             f"one train or fit; got {order!r}")
    x = np.asarray(images, np.float32)
    targets = [np.ones((len(x), 1), np.float32), np.asarray(labels).reshape(-1, 1)]
    rows = []
    level = tf.get_logger().level
    tf.get_logger().setLevel("ERROR")  # each fresh model retraces its step: expected here
    try:
        rows = [_last_call_moved(keras, x, targets, order, seed) for order in orders]
    finally:
        tf.get_logger().setLevel(level)
    return rows


def _last_call_moved(keras: ModuleType, x, targets, order, seed: int) -> dict:
    """Apply ``order`` to a fresh article discriminator; did its last training call move it?"""
    keras.utils.set_random_seed(seed)
    d = build_article_discriminator(keras)
    params = list(d.trainable_weights)  # listed before any freeze
    moved_last = None
    for action in order:
        if action == "compile":
            d.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                      loss=ARTICLE_LOSSES)
        elif action in ("train", "train_half", "fit"):
            before = snapshot(params)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if action == "train":
                    d.train_on_batch(x, targets)
                elif action == "train_half":
                    half = len(x) // 2
                    d.train_on_batch(x[:half], [t[:half] for t in targets])
                else:
                    d.fit(x, targets, batch_size=len(x), epochs=1, verbose=0)
            moved_last = moved(before, snapshot(params)) > 0
        else:
            d.trainable = action == "unfreeze"
    return {"order": list(order), "moved": bool(moved_last)}


def _versions(keras: ModuleType) -> dict:
    return {"keras": keras.__version__, "tensorflow": tf.__version__,
            "keras_module": keras.__name__, "python": sys.version.split()[0]}


def run_here(flavour: str, images: np.ndarray, labels: np.ndarray, steps: int,
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
        "orders": trainable_orders(keras, images[:batch_size], labels[:batch_size], seed=seed),
        "retrace": retrace_experiment(keras, images[:batch_size], labels[:batch_size], seed),
    }


def default_batch(n: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """``n`` real MNIST training images in [-1, 1] ``(n, 28, 28, 1)`` and their labels."""
    data = load_mnist(verbose=False)
    return scale_images(data.x_train[:n]), data.y_train[:n].astype(np.int64)
