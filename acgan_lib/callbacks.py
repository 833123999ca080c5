"""Keras callbacks for GAN training: checkpoints for resuming, a stop on NaN losses, the
per-epoch metrics file and sample grids."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from pathlib import Path

import keras

from acgan_lib.checkpoint import checkpoint_path, list_checkpoints, prune_checkpoints, save_gan
from acgan_lib.files import write_text
from acgan_lib.validation import check_positive_int
from acgan_lib.viz import save_grid


class TrainingDivergedError(FloatingPointError):
    """A loss became NaN or infinite; the message names the step."""


class GANCheckpoint(keras.callbacks.Callback):
    """Save both networks, both optimizers and the epoch counter at the end of each epoch.

    Files are ``ckpt-NNNNNN.npz`` (NNNNNN = epochs completed), written atomically; only the
    last ``keep`` are kept. ``header`` is stored in each file (the run's configuration), and
    ``elapsed`` seconds of earlier sessions are carried over so a resumed run knows its total.

    To resume, call :func:`acgan_lib.checkpoint.restore_latest` before ``fit`` and pass what it
    returns as ``initial_epoch`` (example in :mod:`acgan_lib.checkpoint`).
    """

    def __init__(self, directory, model_name: str, keep: int = 3, header: dict | None = None,
                 elapsed: float = 0.0):
        super().__init__()
        check_positive_int(keep, "keep")
        self.directory = Path(directory)
        self.model_name, self.keep = model_name, keep
        self.header = dict(header or {})
        self.elapsed_before = elapsed
        self._start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        """Training seconds so far, this session and the ones it resumed from."""
        return self.elapsed_before + time.perf_counter() - self._start

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        extra = {**self.header, "epoch": epoch + 1,
                 "step": int(self.model.g_optimizer.iterations.numpy()),
                 "elapsed_seconds": self.elapsed,
                 "logs": {k: float(v) for k, v in (logs or {}).items()}}
        save_gan(self.model, checkpoint_path(self.directory, epoch + 1), self.model_name,
                 optimizers=True, extra=extra)
        prune_checkpoints(self.directory, self.keep)


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training with :class:`TrainingDivergedError` as soon as a loss is NaN or infinite.

    Keras' ``TerminateOnNaN`` watches only the ``loss`` entry of the logs, which a GAN's
    ``train_step`` does not report (it logs ``d_loss`` and ``g_loss``), so it would never fire.
    This one watches both, raises an error that names the step and the loss, and leaves the
    last checkpoint (written at the end of the previous epoch) as it was. Give
    ``checkpoint_dir`` to have the message name that checkpoint.
    """

    def __init__(self, keys=("d_loss", "g_loss"), checkpoint_dir=None):
        super().__init__()
        self.keys = keys
        self.checkpoint_dir = checkpoint_dir

    def _kept(self) -> str:
        if self.checkpoint_dir is None:
            return "The last complete checkpoint is kept"
        found = list_checkpoints(self.checkpoint_dir)
        if not found:
            return "No checkpoint had been written yet"
        return f"The last complete checkpoint, {found[-1]}, is kept"

    def on_train_batch_end(self, batch, logs=None):
        for key in self.keys:
            value = (logs or {}).get(key)
            if value is not None and not math.isfinite(float(value)):
                step = int(self.model.g_optimizer.iterations.numpy())
                raise TrainingDivergedError(
                    f"{key} became {float(value)} at training step {step}: training stopped. "
                    f"{self._kept()}; lower the learning rate or check the input data (NaN "
                    "pixels?) before training again."
                )


class MetricsLogger(keras.callbacks.Callback):
    """Write one row of training metrics per epoch to a CSV file (and the same as JSON).

    Unlike Keras' ``CSVLogger`` it adds no empty ``val_*`` columns, rewrites the file
    atomically each epoch, and on a resumed run drops rows of epochs that the last checkpoint
    does not contain (they were trained by a session that was killed before saving them).
    """

    def __init__(self, path, initial_epoch: int = 0):
        super().__init__()
        self.path = Path(path)
        self.rows: list[dict] = []
        if initial_epoch and self.path.is_file():
            with open(self.path, newline="") as f:
                self.rows = [r for r in csv.DictReader(f) if int(r["epoch"]) <= initial_epoch]

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}})
        keys = list(dict.fromkeys(k for row in self.rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=keys)
        writer.writeheader()
        writer.writerows(self.rows)
        write_text(self.path, buffer.getvalue())
        write_text(self.path.with_suffix(".json"), json.dumps(self.rows, indent=1))


class SampleGridCallback(keras.callbacks.Callback):
    """Save a sample grid from fixed noise at the end of every epoch (``grid_epoch_NNN.png``)."""

    def __init__(self, directory: str | os.PathLike, per_class: int = 10, seed: int = 0):
        super().__init__()
        self.directory = Path(directory)
        self.per_class, self.seed = per_class, seed
        self.paths: list[Path] = []

    def on_epoch_end(self, epoch, logs=None):
        path = self.directory / f"grid_epoch_{epoch + 1:03d}.png"
        self.paths.append(save_grid(self.model.generator, path, self.per_class, self.seed))
