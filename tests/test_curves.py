"""Evaluation during training (acgan_lib.curves): scheduled, repeatable, exactly once per step.

Real training on the offline MNIST sample, a few steps per epoch.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from acgan_lib.curves import (CURVE_CSV, CURVE_FILE, TrainingEvaluator, evaluation_steps,
                              first_row_reaching, read_curve)
from acgan_lib.runs import train_run
from acgan_lib.catalogue import build_gan
from acgan_lib.runs import TrainConfig

STEPS, EPOCHS, BATCH = 6, 2, 32
SCHEDULE = [0, 3, 6, 9, 12]  # evaluation_steps(12, 6): half epochs, as 25 > one epoch


def test_schedule_is_dense_early_then_every_half_epoch():
    assert evaluation_steps(EPOCHS * STEPS, STEPS) == SCHEDULE
    shipped = evaluation_steps(1874, 937)
    assert shipped == [0, 25, 50, 100, 200, 400, 468, 800, 937, 1406, 1874]
    article = evaluation_steps(4680, 234)
    assert article[:7] == [0, 25, 50, 100, 117, 200, 234]
    assert all(k * 234 in article for k in range(21)) and article[-1] == 4680
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive integer"):
        evaluation_steps(10, 0)


def _config(model="acgan"):
    return TrainConfig(model=model, epochs=EPOCHS, batch_size=BATCH, jit_compile=False)


def test_rows_at_exactly_the_scheduled_steps(mnist, tmp_path):
    manifest = train_run(_config(), tmp_path, mnist, steps_per_epoch=STEPS, verbose=0)
    rows = read_curve(tmp_path)
    assert [r["step"] for r in rows] == SCHEDULE
    assert [r["images_seen"] for r in rows] == [s * BATCH for s in SCHEDULE]
    for row in rows:
        assert 0 <= row["label_accuracy"] <= 1 and len(row["label_accuracy_per_class"]) == 10
        assert row["frechet_distance"] > 0 and row["diversity_lowest"] >= 0
        assert 0 <= row["aux_label_accuracy_fake"] <= 1  # an ACGAN: its own classifier too
        assert np.asarray(row["confusion_matrix"]).sum() == 1000  # 100 per digit
    times = [r["training_seconds"] for r in rows]
    assert times == sorted(times) and times[0] >= 0
    assert (tmp_path / CURVE_CSV).read_text().count("\n") == len(SCHEDULE) + 1
    assert manifest["final_evaluation"]["step"] == 12
    assert manifest["files"]["curve"] == CURVE_FILE


def test_same_weights_and_noise_give_the_same_numbers(mnist, tmp_path):
    gan = build_gan("cgan-concat", jit_compile=False)
    evaluator = TrainingEvaluator(tmp_path, mnist.x_test, mnist.y_test, [0], batch_size=BATCH,
                                  steps_per_epoch=STEPS)
    evaluator.set_model(gan)
    first, second = evaluator.measure(), evaluator.measure()
    assert first == second
    assert "aux_label_accuracy_fake" not in first  # a CGAN has no auxiliary classifier
    other = TrainingEvaluator(tmp_path, mnist.x_test, mnist.y_test, [0], batch_size=BATCH,
                              steps_per_epoch=STEPS)
    other.set_model(gan)
    assert other.measure() == first  # the inputs are fixed, not drawn per evaluator


class _Kill(keras.callbacks.Callback):
    """Interrupt training after ``step`` batches, as Ctrl-C would."""

    def __init__(self, step: int):
        super().__init__()
        self.step = step

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.g_optimizer.iterations.numpy()) == self.step:
            raise KeyboardInterrupt


def test_interrupted_and_resumed_run_has_each_scheduled_step_once(mnist, tmp_path):
    # Killed at step 10: the row of step 9 was written, but the last checkpoint is epoch 1
    # (step 6), so steps 7-10 are trained again and step 9 must be measured again, once.
    with pytest.raises(KeyboardInterrupt):
        train_run(_config(), tmp_path, mnist, steps_per_epoch=STEPS, verbose=0,
                  callbacks=[_Kill(10)])
    assert [r["step"] for r in read_curve(tmp_path)] == [0, 3, 6, 9]
    train_run(_config(), tmp_path, mnist, steps_per_epoch=STEPS, verbose=0)
    rows = read_curve(tmp_path)
    assert [r["step"] for r in rows] == SCHEDULE
    # the resumed stretch continues the training clock from the checkpoint's row
    assert rows[3]["training_seconds"] >= rows[2]["training_seconds"]

    # The same run without interruption measures the same numbers at every step (the
    # resumed run trained the same batches with the same noise).
    straight = tmp_path / "straight"
    train_run(_config(), straight, mnist, steps_per_epoch=STEPS, verbose=0)
    for a, b in zip(rows, read_curve(straight)):
        assert a["step"] == b["step"]
        np.testing.assert_allclose(a["label_accuracy"], b["label_accuracy"], atol=0.02)


def test_a_new_run_in_the_directory_starts_a_new_curve(mnist, tmp_path):
    (tmp_path / CURVE_FILE).write_text(json.dumps([{"step": 99, "training_seconds": 1.0}]))
    train_run(_config("cgan-concat"), tmp_path, mnist, steps_per_epoch=STEPS, verbose=0)
    assert [r["step"] for r in read_curve(tmp_path)] == SCHEDULE


def test_first_row_reaching():
    rows = [{"step": 0, "label_accuracy": 0.1}, {"step": 5, "label_accuracy": 0.92},
            {"step": 9, "label_accuracy": 0.97}]
    assert first_row_reaching(rows, "label_accuracy", 0.9)["step"] == 5
    assert first_row_reaching(rows, "label_accuracy", 0.95)["step"] == 9
    assert first_row_reaching(rows, "label_accuracy", 0.99) is None
