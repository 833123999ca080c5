"""Evaluation during training: how conditioning emerges, measured on a schedule of steps.

A sample grid after each epoch shows *that* a generator learned; the curve shows *when*. The
:class:`TrainingEvaluator` callback measures, at scheduled training steps and always on the same
inputs (fixed noise, ``n_per_class`` images of each digit, and the same real held-out digits):

* ``label_accuracy`` (overall and per digit) by the shipped, independent classifier;
* ``frechet_distance`` (the squared Frechet distance in that classifier's feature space, as FID
  reports it) against the real held-out digits;
* ``diversity`` per digit (1.0 = as varied as real digits of that class) and its lowest digit;
* for an ACGAN, ``aux_label_accuracy_fake``: the discriminator's *own* auxiliary classifier on the
  same generated images, as it sees them in training (batch statistics of mixed batches of
  generated images; :func:`acgan_lib.evaluation.auxiliary_logits`), so the moment the generator
  pleases its own classifier but not an independent one is visible.

The schedule (:func:`evaluation_steps`) is dense early, where conditioning appears, then every
half epoch. Each row also records the training time so far (``training_seconds``, without the
evaluations themselves) and what the evaluation cost, so the cost can be stated: with the
defaults it is a few per cent of training time (see ``evaluation_overhead`` in a study's
results).

Rows go to ``curve.json`` (everything) and ``curve.csv`` (the scalar columns) in the run
directory, rewritten atomically after each evaluation. On a resumed run, rows after the
checkpoint's step are dropped (that stretch is trained again) and the steps already measured are
not measured twice, so every scheduled step appears exactly once.
"""

from __future__ import annotations

import csv
import io
import math
import os
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from acgan_lib.classifier import default_classifier, feature_model
from acgan_lib.data import model_images
from acgan_lib.evaluation import (auxiliary_logits, metrics_from_outputs, requested_labels,
                                  select_per_class)
from acgan_lib.files import read_json, write_json, write_text
from acgan_lib.models import latent_dim_of
from acgan_lib.validation import check_positive_int

CURVE_FILE = "curve.json"
CURVE_CSV = "curve.csv"
N_PER_CLASS = 100
EVAL_SEED = 0
SCALARS = ("step", "epoch", "images_seen", "training_seconds", "evaluation_seconds",
           "label_accuracy", "frechet_distance", "diversity", "diversity_lowest",
           "diversity_lowest_digit", "aux_label_accuracy_fake")


def evaluation_steps(total_steps: int, steps_per_epoch: int, first: int = 25,
                     per_epoch: int = 2) -> list[int]:
    """The steps to evaluate at: 0, then doubling from ``first`` through the first epoch, then
    ``per_epoch`` times an epoch (always including every epoch's end and the last step).

    For the shipped budget (2 epochs of 937 steps): 0, 25, 50, 100, 200, 400, 468, 800, 937,
    1405, 1874. For the article's (20 epochs of 234 steps): 0, 25, 50, 100, 117, 200, 234, ...
    """
    check_positive_int(total_steps, "total_steps")
    check_positive_int(steps_per_epoch, "steps_per_epoch")
    check_positive_int(per_epoch, "per_epoch")
    steps = {0, total_steps}
    s = first
    while s < min(steps_per_epoch, total_steps):
        steps.add(int(s))
        s *= 2
    epochs = math.ceil(total_steps / steps_per_epoch)
    for k in range(epochs * per_epoch + 1):
        steps.add(min(total_steps, round(k * steps_per_epoch / per_epoch)))
    return sorted(steps)


def _compiled_forward(generator: keras.Model, classifier: keras.Model | None):
    """XLA-compiled ``generate(noise, labels)`` and ``classify(images) -> (logits, features)``.

    Compiled once per run, they make an evaluation about three times cheaper than eager calls
    (on 2 CPU cores: about 1 s for 1,000 images instead of 3 s), which keeps the curve's cost
    at a few per cent of training time.
    """
    features = feature_model(classifier or default_classifier())

    @tf.function(jit_compile=True, reduce_retracing=True)
    def generate(noise, labels):
        return generator([noise, labels], training=False)

    @tf.function(jit_compile=True, reduce_retracing=True)
    def classify(images):
        return features(images, training=False)

    return generate, classify


class TrainingEvaluator(keras.callbacks.Callback):
    """Measure the generator at scheduled steps (see the module docstring) into ``directory``.

    Args:
        directory: the run directory (``curve.json`` and ``curve.csv`` go there).
        real_images, real_labels: real held-out digits for the Frechet distance and diversity
            (``n_per_class`` of each digit are drawn with ``EVAL_SEED``).
        steps: the steps to evaluate at (see :func:`evaluation_steps`).
        batch_size: the training batch size (for ``images_seen``).
        steps_per_epoch: for the ``epoch`` column.
        initial_step: the step a resumed run starts from: rows after it are dropped, rows up to
            it are kept and not measured again.
        classifier: default: the shipped classifier.
        verbose: print one line per evaluation.
    """

    def __init__(self, directory, real_images, real_labels, steps, batch_size: int,
                 steps_per_epoch: int, n_per_class: int = N_PER_CLASS, initial_step: int = 0,
                 classifier: keras.Model | None = None, verbose: bool = False):
        super().__init__()
        check_positive_int(n_per_class, "n_per_class")
        self.directory = Path(directory)
        self.steps = sorted({int(s) for s in steps})
        self.batch_size, self.steps_per_epoch = int(batch_size), int(steps_per_epoch)
        self.n_per_class, self.verbose = n_per_class, verbose
        self.classifier = classifier
        images, labels = select_per_class(real_images, real_labels, n_per_class, EVAL_SEED,
                                          what="the held-out set")
        self._real_images, self._real_labels = model_images(images), labels
        self._real_features = None
        self.labels = requested_labels(n_per_class)
        self.rows: list[dict] = []
        existing = self.directory / CURVE_FILE
        if initial_step and existing.is_file():
            self.rows = [r for r in read_json(existing) if r["step"] <= initial_step]
        elif existing.is_file():
            existing.unlink()  # a new run in this directory: start the curve again
        self._done = {r["step"] for r in self.rows}
        self._training_before = self.rows[-1]["training_seconds"] if self.rows else 0.0
        self._evaluating = 0.0
        self._started = None
        self._noise = None
        self._compiled = None

    # ---------------------------------------------------------------- measuring
    def _noise_for(self, latent_dim: int) -> np.ndarray:
        if self._noise is None or self._noise.shape[1] != latent_dim:
            rng = np.random.default_rng(EVAL_SEED)
            self._noise = rng.standard_normal((len(self.labels), latent_dim)).astype(np.float32)
        return self._noise

    def measure(self) -> dict:
        """The measurements of the model's generator now, on the fixed inputs."""
        gan = self.model
        if self._compiled is None:
            self._compiled = _compiled_forward(gan.generator, self.classifier)
        generate, classify = self._compiled
        noise = self._noise_for(latent_dim_of(gan.generator))
        images = np.asarray(generate(noise, self.labels[:, None]), np.float32)
        if self._real_features is None:
            self._real_features = np.asarray(classify(self._real_images)[1], np.float64)
        logits, features = (np.asarray(t, np.float64) for t in classify(images))
        row = metrics_from_outputs(logits, features, self.labels, self._real_features,
                                   self._real_labels)
        if getattr(gan, "auxiliary", False):
            aux = auxiliary_logits(gan.discriminator, images, batch_size=250,
                                   batch_statistics=True).argmax(axis=1)
            row["aux_label_accuracy_fake"] = float(np.mean(aux == self.labels))
        return row

    def _training_seconds(self) -> float:
        return self._training_before + (time.perf_counter() - self._started) - self._evaluating

    def _evaluate(self, step: int) -> None:
        started = time.perf_counter()
        row = {"step": step, "epoch": round(step / self.steps_per_epoch, 4),
               "images_seen": step * self.batch_size,
               "training_seconds": round(self._training_seconds(), 2)}
        row.update(self.measure())
        cost = time.perf_counter() - started
        row["evaluation_seconds"] = round(cost, 3)
        self._evaluating += cost
        self.rows.append(row)
        self._done.add(step)
        self._write()
        if self.verbose:
            aux = row.get("aux_label_accuracy_fake")
            print(f"step {step}: label accuracy {row['label_accuracy']:.3f}"
                  + (f" (its own classifier: {aux:.3f})" if aux is not None else "")
                  + f", Frechet distance {row['frechet_distance']:.1f}, lowest diversity "
                    f"{row['diversity_lowest']:.2f} (digit {row['diversity_lowest_digit']})",
                  flush=True)

    def _write(self) -> None:
        write_json(self.directory / CURVE_FILE, self.rows)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(SCALARS), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(self.rows)
        write_text(self.directory / CURVE_CSV, buffer.getvalue())

    def _step(self) -> int:
        return int(self.model.g_optimizer.iterations.numpy())

    # ---------------------------------------------------------------- callback hooks
    def on_train_begin(self, logs=None):
        self._started = time.perf_counter()
        self._evaluating = 0.0
        self._scheduled = set(self.steps)
        step = self._step()
        if step in self._scheduled and step not in self._done:
            self._evaluate(step)

    def on_train_batch_end(self, batch, logs=None):
        step = self._step()
        if step in self._scheduled and step not in self._done:
            self._evaluate(step)


def read_curve(run_dir: str | os.PathLike) -> list[dict]:
    """The rows of a run directory's ``curve.json`` (an empty list when it has none)."""
    path = Path(run_dir) / CURVE_FILE
    return read_json(path) if path.is_file() else []


def first_row_reaching(rows: list[dict], key: str, threshold: float) -> dict | None:
    """The first row whose ``key`` is at least ``threshold`` (``None`` if no row reaches it)."""
    for row in rows:
        value = row.get(key)
        if value is not None and value >= threshold:
            return row
    return None
