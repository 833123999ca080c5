"""A training run in a directory: resumable, with grids, metrics, weights and a manifest.

Layout of a run directory::

    config.json              what was asked for (checked on resume)
    checkpoints/ckpt-N.npz   both networks + both optimizers after epoch N (last 3 kept)
    grids/grid_epoch_N.png   a class-by-row sample grid from fixed noise after each epoch
    metrics.csv, metrics.json one row of training metrics per epoch
    training.gif             the grids as an animation
    weights.npz              the final generator and discriminator (weights only)
    manifest.json            command, data, budget, versions, wall time and final metrics

Running the same command on the same directory resumes from the last complete checkpoint: both
networks, both optimizers and the step counter are restored, the data continue from the same
batch, temporary files left by a killed write are deleted, and ``metrics.csv`` and ``grids/`` are
cut back to the epochs that checkpoint had completed.
"""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

from acgan_lib.callbacks import (GANCheckpoint, MetricsLogger, SampleGridCallback,
                                 StopOnNonFiniteLoss)
from acgan_lib.checkpoint import (CheckpointError, list_checkpoints, load_gan,
                                  remove_stale_temporaries, resume_latest, save_gan)
from acgan_lib.curves import (CURVE_FILE, SCALARS, TrainingEvaluator, evaluation_steps,
                              read_curve)
from acgan_lib.data import MnistData, load_mnist, make_dataset
from acgan_lib.files import read_json, versions, write_json
from acgan_lib.models import LATENT_DIM
from acgan_lib.reproducibility import make_repeatable
from acgan_lib.catalogue import build_gan, get_spec
from acgan_lib.validation import check_batch_size, check_positive_int, check_seed
from acgan_lib.viz import make_animation

@dataclass
class TrainConfig:
    """Everything that defines a training run (recorded in its manifest)."""

    model: str = "acgan"
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    latent_dim: int = LATENT_DIM
    seed: int = 0
    jit_compile: bool = True
    # Same weights and function, less arithmetic (UpSamplingConv2D): a speed setting, so a run
    # may be resumed with or without it.
    fused_upsampling: bool = False
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


CONFIG_KEYS = ("model", "batch_size", "learning_rate", "beta_1", "latent_dim", "seed")


def check_output_dir(out: Path) -> None:
    """Refuse an output directory that cannot be written, before anything is created."""
    probe = out.absolute()
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise NotADirectoryError(f"output directory {out} cannot be created: {probe} is a file, "
                                 "not a directory; choose another --out directory")
    problem = None if os.access(probe, os.W_OK | os.X_OK) else "no write permission"
    if problem is None:  # permissions can lie (root, read-only or virtual file systems): try it
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".acgan-probe-", dir=probe))
        except OSError as exc:
            problem = exc.strerror or str(exc)
    if problem:
        raise PermissionError(f"output directory {out} is not writable ({problem} in {probe}); "
                              "choose another --out directory")


def _validate(config: TrainConfig, n_images: int, steps_per_epoch=None, keep: int = 3) -> None:
    get_spec(config.model)
    check_positive_int(config.epochs, "epochs")
    check_batch_size(config.batch_size, n_images)
    if not config.learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {config.learning_rate!r}")
    if not 0 <= config.beta_1 < 1:
        raise ValueError(f"beta_1 (Adam's momentum) must be in [0, 1), got {config.beta_1!r}; "
                         "the article uses 0.5")
    if steps_per_epoch is not None:
        check_positive_int(steps_per_epoch, "steps_per_epoch")
    check_positive_int(keep, "keep (checkpoints to keep)")
    check_seed(config.seed)


def check_same_settings(out: Path, wanted: dict, resuming: bool) -> None:
    """Refuse to resume the run in ``out`` with settings other than its ``config.json``'s
    (``wanted``: the settings that must match), before anything is written."""
    if not (out / "config.json").exists():
        return
    saved = read_json(out / "config.json", error=CheckpointError)
    differs = {k: (saved.get(k), v) for k, v in wanted.items() if saved.get(k) != v}
    if differs and resuming:
        raise ValueError(
            f"{out} holds a run with other settings ({differs}, as (saved, asked)); use a "
            "new --out directory, or delete this one to start over."
        )


def cut_back_grids(out: Path, epochs_done: int) -> None:
    """Drop grids of epochs after ``epochs_done`` (a kill came before their checkpoint was
    written; they are trained again). ``MetricsLogger`` does the same for metrics rows."""
    for grid in (out / "grids").glob("grid_epoch_*.png"):
        number = grid.stem.rsplit("_", 1)[-1]
        if number.isdigit() and int(number) > epochs_done:
            grid.unlink()


def data_record(data: MnistData) -> dict:
    """What a manifest says about the training data."""
    return {"source": data.source, "origin": data.origin, "train_images": int(len(data.x_train))}


class RunDirectory:
    """One run directory, the steps every training loop takes around its training: check it
    before anything is written, open it (remove what a kill left), record the settings, and
    finish it (weights, animation, manifest). Used by :func:`train_run` and
    :func:`acgan_lib.article_run.train_article_loop`."""

    def __init__(self, out: str | os.PathLike, wanted: dict):
        self.out, self.wanted = Path(out), dict(wanted)
        self.checkpoints, self.grids = self.out / "checkpoints", self.out / "grids"

    def check(self) -> list[Path]:
        """Refuse a file in place of the folder or other settings than its earlier sittings'
        (nothing is written); returns its complete checkpoints, oldest first."""
        check_output_dir(self.out)
        existing = list_checkpoints(self.checkpoints)
        check_same_settings(self.out, self.wanted, resuming=bool(existing))
        return existing

    def open(self) -> None:
        """Create the folder and delete the temporary files that a killed write left."""
        self.out.mkdir(parents=True, exist_ok=True)
        stale = [p for d in (self.out, self.checkpoints, self.grids)
                 for p in remove_stale_temporaries(d)]
        if stale:
            print(f"Removed {len(stale)} temporary file(s) left by an interrupted run: "
                  + ", ".join(p.name for p in stale))

    def start(self, epochs_done: int, config: dict) -> None:
        """Cut the grids back to the checkpoint resumed from; write ``config.json``."""
        cut_back_grids(self.out, epochs_done)
        write_json(self.out / "config.json", {**self.wanted, **config})

    def finish(self, gan, model: str, manifest: dict, weights_header: dict,
               curve: bool = True) -> dict:
        """Write the final weights, the animation of the grids and ``manifest.json``
        (``manifest`` plus versions, final evaluation and the list of files); returns it."""
        save_gan(gan, self.out / "weights.npz", model, optimizers=False, extra=weights_header)
        grid_files = sorted(self.grids.glob("grid_epoch_*.png"))
        if grid_files:
            make_animation(grid_files, self.out / "training.gif")
        manifest = {**manifest, "versions": versions(),
                    "final_evaluation": final_row(self.out) if curve else None,
                    "files": {"weights": "weights.npz",
                              "grids": [str(p.relative_to(self.out)) for p in grid_files],
                              "metrics": "metrics.csv", "animation": "training.gif",
                              **({"curve": CURVE_FILE} if curve else {})}}
        write_json(self.out / "manifest.json", manifest)
        return manifest


def train_run(config: TrainConfig, out: str | os.PathLike, data: MnistData | None = None,
              steps_per_epoch: int | None = None, command: str | None = None,
              verbose: int = 1, keep: int = 3, callbacks: list | None = None,
              strategy=None, deterministic: bool = False, evaluate: bool = True) -> dict:
    """Train ``config`` into the run directory ``out`` (resuming if it holds checkpoints).

    Every argument is checked before anything is written, so a bad one leaves ``out`` as it
    was. A NaN or infinite loss stops training with
    :class:`~acgan_lib.callbacks.TrainingDivergedError` naming the step; the checkpoints of the
    epochs before it are kept. ``deterministic=True`` also switches TensorFlow to deterministic
    kernels (see :mod:`acgan_lib.reproducibility` for what that does and does not fix).
    ``evaluate=True`` (the default) measures the generator on a schedule of steps with the
    shipped classifier (:class:`~acgan_lib.curves.TrainingEvaluator`, into ``curve.json``);
    the manifest's ``final_evaluation`` is its last row.

    Returns the manifest (also written to ``out/manifest.json``).
    """
    out = Path(out)
    data = data or load_mnist()
    _validate(config, len(data.x_train), steps_per_epoch, keep)
    wanted = {k: getattr(config, k) for k in CONFIG_KEYS}
    run = RunDirectory(out, wanted)
    existing = run.check()
    ckpt_dir = run.checkpoints
    make_repeatable(config.seed, deterministic_ops=deterministic)
    steps = steps_per_epoch or len(data.x_train) // config.batch_size
    dataset = make_dataset(data.x_train, data.y_train, config.batch_size, seed=config.seed,
                           repeat=True)
    scope = strategy.scope() if strategy is not None else nullcontext()
    with scope:
        gan = build_gan(config.model, latent_dim=config.latent_dim, seed=config.seed,
                        learning_rate=config.learning_rate, beta_1=config.beta_1,
                        jit_compile=config.jit_compile,
                        fused_upsampling=config.fused_upsampling)
    initial_epoch, elapsed, resumed, initial_step = 0, 0.0, None, 0
    run.open()
    if existing:
        resumed, header = resume_latest(gan, ckpt_dir, config.model)
        initial_epoch, elapsed = int(header["epoch"]), float(header.get("elapsed_seconds", 0))
        # Continue the same sequence of batches: skip the ones already trained on.
        initial_step = int(header.get("step", initial_epoch * steps))
        dataset = dataset.skip(initial_step)
    run.start(initial_epoch, {"epochs": config.epochs, "steps_per_epoch": steps,
                              "data": data.description})
    checkpointer = GANCheckpoint(ckpt_dir, config.model, keep=keep, elapsed=elapsed,
                                 header={"config": wanted})
    grids = SampleGridCallback(run.grids, seed=config.seed)
    csv = MetricsLogger(out / "metrics.csv", initial_epoch=initial_epoch)
    evaluator = None
    if evaluate:
        evaluator = TrainingEvaluator(
            out, data.x_test, data.y_test, evaluation_steps(config.epochs * steps, steps),
            batch_size=config.batch_size, steps_per_epoch=steps, initial_step=initial_step,
            verbose=verbose > 0)
    # The evaluator runs first, so each epoch's last evaluation is inside that epoch's
    # checkpoint (its time and its row survive a resume together).
    cbs = [StopOnNonFiniteLoss(checkpoint_dir=ckpt_dir), *([evaluator] if evaluator else []),
           grids, csv, checkpointer, *(callbacks or [])]
    started = time.perf_counter()
    if initial_epoch < config.epochs:
        history = gan.fit(dataset, epochs=config.epochs, steps_per_epoch=steps,
                          initial_epoch=initial_epoch, callbacks=cbs, verbose=verbose,
                          shuffle=False)  # make_dataset already shuffles
        final_logs = {k: float(v[-1]) for k, v in history.history.items()}
    else:
        print(f"{out} already holds all {config.epochs} epochs; writing its outputs again.")
        final_logs = header.get("logs", {})
    session_seconds = time.perf_counter() - started
    total_seconds = checkpointer.elapsed if initial_epoch < config.epochs else elapsed

    trained_epochs = max(config.epochs, initial_epoch)
    images_seen = trained_epochs * steps * config.batch_size
    manifest = {
        "model": config.model,
        "description": get_spec(config.model).description,
        "command": command or "acgan_lib.runs.train_run(...)",
        "data": data_record(data),
        "config": config.to_dict(),
        "epochs": trained_epochs,
        "steps": int(gan.g_optimizer.iterations.numpy()),
        "steps_per_epoch": steps,
        "batch_size": config.batch_size,
        "seed": config.seed,
        "images_seen": images_seen,
        "wall_clock_seconds": round(total_seconds, 1),
        "images_per_second": round((trained_epochs - initial_epoch) * steps * config.batch_size
                                   / session_seconds, 1) if initial_epoch < config.epochs else None,
        "resumed_from_epoch": initial_epoch or None,
        "resumed_from": str(resumed) if resumed else None,
        "deterministic_ops": bool(deterministic),
        "training_metrics": final_logs,
    }
    return run.finish(gan, config.model, manifest, {"latent_dim": config.latent_dim},
                      curve=evaluate)


def final_row(out: Path) -> dict | None:
    """The last evaluation of a run's curve, without the per-digit lists (for the manifest)."""
    rows = read_curve(out)
    if not rows:
        return None
    return {k: v for k, v in rows[-1].items() if k in SCALARS}


def weights_model(manifest: dict) -> str:
    """The model whose networks a run's (or a shipped model's) weights fit.

    That is its ``model``, except for a run of the article's loop (:mod:`acgan_lib.article_run`),
    which names the loop as its model and stores the ``acgan`` networks it trained.
    """
    return manifest.get("architecture", manifest["model"])


def check_run_dir(run_dir: str | os.PathLike) -> Path:
    """``run_dir`` as a Path if it holds a finished run, else a CheckpointError saying why."""
    run_dir = Path(run_dir)
    for needed in ("manifest.json", "weights.npz"):
        if not (run_dir / needed).is_file():
            raise CheckpointError(f"{run_dir} has no {needed}: the run is not finished (or "
                                  "this is not a run directory); let it finish, or re-run its "
                                  "train command to resume it")
    return run_dir


def load_run(out: str | os.PathLike):
    """The trained ConditionalGAN of a finished run directory, and its manifest."""
    out = Path(out)
    if not out.is_dir():
        raise FileNotFoundError(f"no run directory at {out}")
    if not (out / "manifest.json").is_file():
        hint = (" Its training has not finished: run the same train command again to resume it."
                if list_checkpoints(out / "checkpoints") else "")
        raise CheckpointError(f"{out} is not a finished run (no manifest.json).{hint}")
    manifest = read_json(out / "manifest.json", error=CheckpointError)
    model = weights_model(manifest)
    gan = build_gan(model, latent_dim=manifest["config"]["latent_dim"])
    load_gan(gan, out / "weights.npz", model, optimizers=False)
    return gan, manifest

