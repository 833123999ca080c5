"""The article's own training loop, run for a budget like any study run, with its curve.

On Keras 3 the article's loop never trains its discriminator (chapter 5): the freeze that the
article applies for the combined model also freezes the discriminator's own ``train_on_batch``.
What does its generator learn against that fixed, random discriminator over the article's
budget? Saying "nothing" would be an assumption; this module measures it. It trains
:class:`acgan_lib.article.ArticleBaseline` step by step, exactly as the article does, into an
ordinary run directory (checkpoints after every epoch, resumable, a sample grid per epoch, a
curve, weights and a manifest), so the study aggregates it next to the library's runs.

The article's networks are the course's ``acgan`` networks layer for layer: same weights, same
outputs. So the loop's weights are copied into a ``ConditionalGAN("acgan")`` to be measured by
the same :class:`~acgan_lib.curves.TrainingEvaluator`, saved, loaded and evaluated like every
other run (the manifest's ``architecture``).
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import keras

from acgan_lib.article import ArticleBaseline
from acgan_lib.callbacks import MetricsLogger
from acgan_lib.catalogue import build_gan
from acgan_lib.checkpoint import (CHECKPOINT_PATTERN, FORMAT, CheckpointError, assign_arrays,
                                  atomic_savez, checkpoint_path, load_newest, named_variables,
                                  prune_checkpoints, read_npz)
from acgan_lib.curves import N_PER_CLASS, TrainingEvaluator, evaluation_steps
from acgan_lib.data import MnistData, make_dataset
from acgan_lib.runs import RunDirectory, data_record
from acgan_lib.validation import check_positive_int, check_seed
from acgan_lib.viz import save_grid

#: The name the study and the results give the article's loop.
ARTICLE_LOOP = "article-loop"
#: The library model with the same networks, which measures and stores the loop's weights.
ARCHITECTURE = "acgan"


def loop_variables(baseline: ArticleBaseline) -> dict:
    """Name -> variable: both networks and the (shared) optimizer, which is all the loop's
    state besides its numpy noise generator."""
    optimizer = baseline.g_optimizer
    if not optimizer.built:  # built by the first combined step: build it to restore into it
        optimizer.build(baseline.combined.trainable_variables)
    return {**named_variables("generator", baseline.generator.weights),
            **named_variables("discriminator", baseline.discriminator.weights),
            **named_variables("g_optimizer", optimizer.variables)}


class _LoopEvaluator(TrainingEvaluator):
    """The study's evaluator, driven by hand: the loop counts its steps and hands over its
    weights (into ``mirror``, the ``acgan`` model it measures) before each measurement."""

    def __init__(self, baseline: ArticleBaseline, mirror, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.baseline, self.step = baseline, kwargs.get("initial_step", 0)
        self.set_model(mirror)

    def _step(self) -> int:
        return self.step

    def measure(self) -> dict:
        copy_weights(self.baseline, self.model)
        return super().measure()


def copy_weights(baseline: ArticleBaseline, gan) -> None:
    """Put the loop's current generator and discriminator weights into ``gan`` (an ``acgan``)."""
    gan.generator.set_weights(baseline.generator.get_weights())
    gan.discriminator.set_weights(baseline.discriminator.get_weights())


def _restore(baseline: ArticleBaseline, ckpt_dir: Path) -> dict | None:
    """Restore the newest readable checkpoint; its header, or ``None`` when there is none."""

    def load(path: Path) -> dict:
        header, arrays = read_npz(path)
        if header.get("model") != ARTICLE_LOOP:
            raise CheckpointError(f"{path} holds a {header.get('model')!r} run, not the "
                                  f"article's loop; use a new output directory")
        assign_arrays(loop_variables(baseline), arrays, path, ARTICLE_LOOP)
        baseline.rng.bit_generator.state = header["rng"]
        return header

    found = load_newest(ckpt_dir, load)
    if found is None:
        return None
    path, header = found
    print(f"Resuming the article's loop from {path} (epoch {header['epoch']}, "
          f"step {header['step']}).")
    return header


def train_article_loop(out: str | os.PathLike, data: MnistData, epochs: int = 20,
                       batch_size: int = 256, seed: int = 0, steps_per_epoch: int | None = None,
                       n_per_class: int = N_PER_CLASS, command: str | None = None,
                       verbose: bool = True, keep: int = 2) -> dict:
    """Train the article's loop into the run directory ``out`` (resuming if it holds
    checkpoints) and measure its curve; returns the manifest (also ``out/manifest.json``).

    ``steps_per_epoch`` defaults to one pass over the training images; ``n_per_class`` is the
    curve's images per digit (default: the study's). Every argument is checked, and so is a
    directory's earlier settings, before anything is written. The batches are the study's
    (:func:`~acgan_lib.data.make_dataset` with ``seed``), so the loop sees the same data in the
    same order as a library run with the same seed and batch size.
    """
    out = Path(out)
    for value, name in ((epochs, "epochs"), (batch_size, "batch_size"), (keep, "keep")):
        check_positive_int(value, name)
    check_seed(seed)
    if batch_size > len(data.x_train):
        raise ValueError(f"batch_size {batch_size} is larger than the dataset "
                         f"({len(data.x_train)} images); use at most {len(data.x_train)}")
    steps = check_positive_int(len(data.x_train) // batch_size if steps_per_epoch is None
                               else steps_per_epoch, "steps_per_epoch")
    check_positive_int(n_per_class, "n_per_class")
    # what a resumed run must share with its first sitting (the curve's rows are comparable
    # only with the same data and the same number of images per digit)
    wanted = {"model": ARTICLE_LOOP, "batch_size": batch_size, "seed": seed,
              "steps_per_epoch": steps, "n_per_class": n_per_class, "data": data.description}
    run = RunDirectory(out, wanted)
    existing = run.check()
    ckpt_dir = run.checkpoints
    done = int(CHECKPOINT_PATTERN.match(existing[-1].name).group(1)) if existing else 0
    if done > epochs:
        raise ValueError(f"{out} already holds {done} epochs, more than the {epochs} asked "
                         f"for; ask for at least {done}, or use a new output directory")

    baseline = ArticleBaseline(keras, batch_size=batch_size, seed=seed)
    mirror = build_gan(ARCHITECTURE, jit_compile=False)
    run.open()
    header = _restore(baseline, ckpt_dir) or {"epoch": 0, "step": 0, "elapsed_seconds": 0.0,
                                              "logs": {}}
    first_epoch, step = int(header["epoch"]), int(header["step"])
    run.start(first_epoch, {"epochs": epochs})

    total = epochs * steps
    evaluator = _LoopEvaluator(
        baseline, mirror, out, data.x_test, data.y_test, evaluation_steps(total, steps),
        batch_size=batch_size, steps_per_epoch=steps, initial_step=step,
        n_per_class=n_per_class, verbose=verbose)
    logger = MetricsLogger(out / "metrics.csv", initial_epoch=first_epoch)
    dataset = iter(make_dataset(data.x_train, data.y_train, batch_size, seed=seed,
                                repeat=True).skip(step))
    started, elapsed = time.perf_counter(), float(header["elapsed_seconds"])
    logs = header.get("logs", {})
    evaluator.on_train_begin()
    for epoch in range(first_epoch, epochs):
        bar = keras.utils.Progbar(steps, verbose=1 if verbose else 0)
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs} (the article's loop)", flush=True)
        for i in range(steps):
            images, labels = next(dataset)
            with warnings.catch_warnings():  # "does not have any trainable weights": chapter 5
                warnings.simplefilter("ignore", UserWarning)
                losses = baseline.step(images.numpy(), labels.numpy())
            step += 1
            evaluator.step = step
            evaluator.on_train_batch_end(i)
            bar.update(i + 1, [("d_loss_real", losses["discriminator_real"][0]),
                               ("g_loss", losses["combined"][0])])
        logs = {**{f"{call}_loss": float(value[0]) for call, value in losses.items()},
                **baseline.metric_results()}
        baseline.reset_metrics(faithful=False)  # the article's reset_states() fails on Keras 3
        logger.on_epoch_end(epoch, logs)
        copy_weights(baseline, mirror)
        save_grid(mirror.generator, run.grids / f"grid_epoch_{epoch + 1:03d}.png", seed=seed)
        now = elapsed + time.perf_counter() - started
        arrays = {k: v.numpy() for k, v in loop_variables(baseline).items()}
        atomic_savez(checkpoint_path(ckpt_dir, epoch + 1), arrays,
                     {"format": FORMAT, "model": ARTICLE_LOOP, "epoch": epoch + 1,
                      "step": step, "elapsed_seconds": round(now, 2), "logs": logs,
                      "rng": baseline.rng.bit_generator.state})
        prune_checkpoints(ckpt_dir, keep)
    session = time.perf_counter() - started
    copy_weights(baseline, mirror)
    trained = epochs - first_epoch
    manifest = {
        "model": ARTICLE_LOOP, "architecture": ARCHITECTURE,
        "description": "the article's training loop (compile, freeze, compile; three "
                       "train_on_batch calls a step) on Keras 3, whose discriminator never "
                       "trains (acgan_lib.article.ArticleBaseline)",
        "command": command or "acgan_lib.article_run.train_article_loop(...)",
        "data": data_record(data),
        "config": {"model": ARTICLE_LOOP, "epochs": epochs, "batch_size": batch_size,
                   "seed": seed, "latent_dim": baseline.latent_dim},
        "epochs": epochs, "steps": step, "steps_per_epoch": steps, "batch_size": batch_size,
        "seed": seed, "images_seen": step * batch_size,
        "wall_clock_seconds": round(elapsed + session, 1),
        "images_per_second": (round(trained * steps * batch_size / session, 1)
                              if trained else None),
        "resumed_from_epoch": first_epoch or None,
        "training_metrics": logs,
    }
    return run.finish(mirror, ARCHITECTURE, manifest,
                      {"latent_dim": baseline.latent_dim, "trained_by": ARTICLE_LOOP})

